"""Synthesize every environment in one process: `make synth` or `cdktf synth` (infra/cdktf.json)."""

from __future__ import annotations

import os

from cdktf import App

from netflux_infra.config import ENVIRONMENTS, PIPELINE
from netflux_infra.pipeline import PipelineStack
from netflux_infra.stack import NetfluxStack


def build_app(outdir: str | None = None) -> App:
    app = App(outdir=outdir or os.environ.get("CDKTF_OUTDIR", "cdktf.out"))
    for config in ENVIRONMENTS.values():
        NetfluxStack(app, config.prefix, config)
    PipelineStack(app, f"{PIPELINE.name}-pipeline", PIPELINE, list(ENVIRONMENTS.values()))
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
