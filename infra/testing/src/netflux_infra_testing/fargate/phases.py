"""The rehearsal's run phases after the apply: run -> smoke -> release -> rollback -> stop.

    python -m netflux_infra_testing.fargate.phases --endpoint http://127.0.0.1:5000 staging

(against an emulator that already holds the applied environment; `make rehearse` calls `run`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from netflux_infra.config import ENVIRONMENTS
from netflux_infra_testing.fargate.aws import Emulator
from netflux_infra_testing.fargate.docker import Docker
from netflux_infra_testing.fargate.environment import RunningEnvironment, bring_down, bring_up
from netflux_infra_testing.fargate.errors import RunFailed

REPO = Path(__file__).resolve().parents[5]


def say(message: str) -> None:
    print(f"[rehearse] {message}", flush=True)


def smoke(running: RunningEnvironment) -> None:
    """The project's own smoke test, through CloudFront + ALB (the page's origin)."""
    url = running.balancer.url
    result = subprocess.run(
        [sys.executable, "-m", "netflux_devstack.smoke", "--movie", url, "--customer", url,
         "--no-health"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    if result.returncode != 0:
        raise RunFailed(f"smoke test through the edge failed:\n{result.stdout}{result.stderr}")
    say(f"smoke test passed through the CloudFront/ALB stand-in at {url}")


def run(
    aws: Emulator,
    environment: str,
    *,
    hold: Callable[[RunningEnvironment], None] | None = None,
) -> dict[str, float]:
    prefix = ENVIRONMENTS[environment].names.prefix
    docker = Docker(f"nfx-{uuid.uuid4().hex[:6]}")
    timings: dict[str, float] = {}
    try:
        started = time.monotonic()
        running = bring_up(aws, prefix, docker, say)
        timings["run: up"] = time.monotonic() - started
        timings |= {f"run: {k}": v for k, v in running.timings.items()}
        started = time.monotonic()
        smoke(running)
        timings["smoke"] = time.monotonic() - started
        if hold is not None:
            hold(running)
        started = time.monotonic()
        codes = bring_down(running, say)
        timings["stop"] = time.monotonic() - started
        say(f"stopped like ECS (SIGTERM, stopTimeout, SIGKILL): exit codes {codes}")
        running.balancer.stop()
    finally:
        if not os.environ.get("NETFLUX_REHEARSAL_KEEP_CONTAINERS"):
            docker.cleanup()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("environment", choices=sorted(ENVIRONMENTS))
    args = parser.parse_args()
    aws = Emulator(args.endpoint, ENVIRONMENTS[args.environment].region)
    for phase, seconds in run(aws, args.environment).items():
        say(f"{phase}: {seconds:.1f} s")


if __name__ == "__main__":
    main()
