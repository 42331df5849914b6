"""Running the tools a deploy drives (git, docker, make, terraform)."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from netflux_infra.deploy import DeployError

# The repository root: infra/src/netflux_infra/deploy/shell.py -> four levels up.
REPOSITORY = Path(__file__).resolve().parents[4]


def run(
    command: Sequence[str],
    *,
    cwd: Path = REPOSITORY,
    env: Mapping[str, str] | None = None,
    capture: bool = False,
    stdin: str | None = None,
) -> str:
    """Run `command`; its output goes to the console unless captured. Fails with the command's
    last output lines."""
    try:
        result = subprocess.run(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            input=stdin,
            text=True,
            capture_output=capture,
        )
    except FileNotFoundError:
        raise DeployError(
            f"{command[0]} is not installed (needed for: {' '.join(command)})"
        ) from None
    if result.returncode != 0:
        tail = (result.stdout or "")[-2000:] + (result.stderr or "")[-2000:]
        raise DeployError(f"{' '.join(command[:3])} ... failed (exit {result.returncode})\n{tail}")
    return result.stdout or ""
