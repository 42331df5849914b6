"""Synthesize every stack with the AWS provider pointed at an emulator (a rehearsal step).

python -m netflux_infra_testing.rehearsal.synth --endpoint http://127.0.0.1:5000 --outdir out

A process of its own, like `make synth`: the AWS bindings load once, and the rehearsal's process
stays free of jsii.
"""

from __future__ import annotations

import argparse

from netflux_infra.main import build_app
from netflux_infra_testing.emulator import emulator_provider_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--outdir", required=True)
    args = parser.parse_args()
    build_app(args.outdir, provider_overrides=emulator_provider_settings(args.endpoint)).synth()


if __name__ == "__main__":
    main()
