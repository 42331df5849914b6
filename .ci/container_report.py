"""Prints what the README records about the images: size, start-to-ready, start-to-healthy, stop.

Run against the compose stack (after `docker compose up --wait`); restarts each service once.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime

import httpx

from netflux_catalogue import HEALTH_PATH
from netflux_catalogue import SERVICES as CATALOGUE
from netflux_devstack.polling import wait_until

SERVICES = {s.name: s.local_port for s in CATALOGUE}


def sh(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()


def ts(value: str) -> float:
    # Docker writes nanoseconds; datetime takes microseconds.
    head, _, frac = value.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00").timestamp()


def main() -> None:
    for service, port in SERVICES.items():
        image = f"netflux/{service}:local"
        size_mb = int(sh("docker", "image", "inspect", "-f", "{{.Size}}", image)) / 1e6
        container = sh("docker", "compose", "ps", "-q", service)

        started = time.monotonic()
        sh("docker", "compose", "stop", service)
        stop_s = time.monotonic() - started

        sh("docker", "compose", "start", service)
        begin = time.monotonic()

        def answers(url: str = f"http://127.0.0.1:{port}{HEALTH_PATH}") -> bool:
            try:
                return httpx.get(url).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, timeout=60, what=f"{service} health", interval=0.05)
        ready_s = time.monotonic() - begin

        def healthy(name: str = container) -> bool:
            return sh("docker", "inspect", "-f", "{{.State.Health.Status}}", name) == "healthy"

        wait_until(healthy, timeout=90, what=f"{service} Docker health")
        state = json.loads(sh("docker", "inspect", "-f", "{{json .State}}", container))
        since = ts(state["StartedAt"])
        first_ok = min(
            ts(e["End"])
            for e in state["Health"]["Log"]
            if e["ExitCode"] == 0 and ts(e["Start"]) >= since
        )
        healthy_s = first_ok - since
        print(
            f"{service}: image {size_mb:.0f} MB, start to ready {ready_s:.2f} s, "
            f"start to healthy (Docker HEALTHCHECK) {healthy_s:.1f} s, docker stop {stop_s:.1f} s"
        )


if __name__ == "__main__":
    main()
