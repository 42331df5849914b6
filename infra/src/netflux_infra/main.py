"""Synthesize every environment in one process: `make synth` or `cdktf synth` (infra/cdktf.json)."""

from __future__ import annotations

import os

from cdktf import App

from netflux_infra.access import AccessStack
from netflux_infra.config import ACCESS, ENVIRONMENTS, PIPELINE
from netflux_infra.naming import AccessNames, PipelineNames
from netflux_infra.pipeline import PipelineStack
from netflux_infra.stack import NO_OVERRIDES, NetfluxStack, ProviderOverrides


def build_app(
    outdir: str | None = None, provider_overrides: ProviderOverrides = NO_OVERRIDES
) -> App:
    """Every stack. `provider_overrides` go into each AWS provider block: tools such as the
    deploy rehearsal point the provider elsewhere with them; production passes none."""
    app = App(outdir=outdir or os.environ.get("CDKTF_OUTDIR", "cdktf.out"))
    for config in ENVIRONMENTS.values():
        NetfluxStack(app, config.names.stack, config, provider_overrides)
    environments = list(ENVIRONMENTS.values())
    pipeline = PipelineNames(PIPELINE.name).stack
    PipelineStack(app, pipeline, PIPELINE, environments, provider_overrides)
    access = AccessNames(ACCESS.name).stack
    AccessStack(app, access, ACCESS, environments, PIPELINE, provider_overrides)
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
