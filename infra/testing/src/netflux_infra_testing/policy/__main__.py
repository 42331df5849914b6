"""`python -m netflux_infra_testing.policy ENV`: every expectation of one environment, evaluated
against the synthesized stacks, as a table with the expected and the evaluated decision.

    python -m netflux_infra_testing.policy staging                  # synthesizes first (~90 s)
    python -m netflux_infra_testing.policy prod --synth-dir cdktf.out
    python -m netflux_infra_testing.policy staging --rows access --markdown   # docs/access.md

Exits 1 when a row decides otherwise than expected.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netflux_infra.config import ENVIRONMENTS, PIPELINE
from netflux_infra_testing.policy.documents import Documents
from netflux_infra_testing.policy.report import table
from netflux_infra_testing.policy.tables import (
    access,
    expectations,
)


def synthesized(synth_dir: Path | None) -> dict[str, dict[str, Any]]:
    if synth_dir is None:
        os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
        from netflux_infra.main import build_app

        synth_dir = Path(tempfile.mkdtemp(prefix="netflux-policy-"))
        build_app(str(synth_dir)).synth()
    stacks = sorted((synth_dir / "stacks").iterdir())
    return {folder.name: json.loads((folder / "cdk.tf.json").read_text()) for folder in stacks}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env", choices=sorted(ENVIRONMENTS))
    parser.add_argument("--synth-dir", type=Path, help="an existing cdktf output folder")
    parser.add_argument("--rows", choices=("all", "access"), default="all")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)

    env = ENVIRONMENTS[args.env]
    documents = Documents.load(synthesized(args.synth_dir))
    if args.rows == "access":
        rows = access(documents, env, PIPELINE)
    else:
        rows = expectations(documents, env, PIPELINE, with_access=True)
    text, wrong = table(documents, rows, args.markdown)
    print(text)
    if wrong:
        print(f"\n{wrong} of {len(rows)} rows decide otherwise than expected (!!)", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
