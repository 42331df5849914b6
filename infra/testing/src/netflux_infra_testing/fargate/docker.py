"""The Docker CLI, with every container and network this run creates labelled with its run id,
so cleanup removes exactly those and nobody else's."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

from netflux_infra_testing.fargate.errors import RunFailed

LABEL = "netflux.rehearsal"


@dataclass(frozen=True)
class Docker:
    run_id: str

    @property
    def label(self) -> str:
        return f"{LABEL}={self.run_id}"

    def __call__(self, *args: str, check: bool = True, timeout: float = 120) -> str:
        result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RunFailed(f"docker {' '.join(args[:3])}: {result.stderr.strip()[-2000:]}")
        return result.stdout.strip()

    def network(self, name: str) -> str:
        self("network", "create", "--label", self.label, name)
        return name

    def logs(self, container: str, tail: int = 15) -> str:
        """The container's last lines, stdout and stderr interleaved."""
        result = subprocess.run(
            ["docker", "logs", "--tail", str(tail), container],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30,
        )  # fmt: skip
        return result.stdout.strip()

    def inspect(self, container: str) -> dict[str, Any]:
        [found] = json.loads(self("inspect", container))
        return dict(found)

    def cleanup(self) -> None:
        """Remove this run's containers (with their anonymous volumes) and networks."""
        ids = self("ps", "-aq", "--filter", f"label={self.label}", check=False).split()
        if ids:
            self("rm", "-f", "-v", *ids, check=False)
        nets = self("network", "ls", "-q", "--filter", f"label={self.label}", check=False).split()
        if nets:
            self("network", "rm", *nets, check=False)
