from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from netflux_infra_testing.synthesized import Stack

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(scope="session")
def synth_dir() -> Iterator[Path]:
    """Every environment, synthesized once in this process (importing the bindings costs ~40 s)."""
    from netflux_infra.main import build_app

    outdir = Path(tempfile.mkdtemp(prefix="netflux-synth-"))
    build_app(str(outdir)).synth()
    yield outdir
    shutil.rmtree(outdir, ignore_errors=True)


@pytest.fixture(scope="session")
def stacks(synth_dir: Path) -> dict[str, Stack]:
    return {
        folder.name.removeprefix("netflux-"): Stack(folder.name, folder)
        for folder in sorted((synth_dir / "stacks").iterdir())
    }


@pytest.fixture(params=["staging", "prod"])
def stack(request: pytest.FixtureRequest, stacks: dict[str, Stack]) -> Stack:
    """Each environment's stack."""
    return stacks[request.param]


@pytest.fixture(params=["staging", "prod", "pipeline", "access"])
def any_stack(request: pytest.FixtureRequest, stacks: dict[str, Stack]) -> Stack:
    """Every synthesized stack, the delivery pipeline and team access included."""
    return stacks[request.param]
