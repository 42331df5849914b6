"""SIGTERM under load, as ECS sends it on scale-in and deployments: every request already in
flight is answered, then the process exits within the grace period.

With the ALB this loses nothing: ECS first deregisters the task (the target group's
deregistration delay, 15 s here, lets in-flight requests finish and sends no new ones), then
sends SIGTERM and waits stopTimeout (30 s) before SIGKILL; the service drains for
SHUTDOWN_GRACE_SECONDS (20 s) within that. See
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_timeout
and https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#deregistration-delay
"""

from __future__ import annotations

import asyncio
import signal
import time

from starlette.types import Receive, Scope, Send

from netflux_devstack.testing import run_load, service_process, serving

from .conftest import Database

SLOW_SECONDS = 1.0  # how long movie-service takes: every customer GET is in flight that long
GRACE_SECONDS = 20


async def slow_movie_service(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await asyncio.sleep(SLOW_SECONDS)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})  # fmt: skip
    await send({"type": "http.response.body", "body": b"[]"})


async def test_sigterm_drains_in_flight_requests_then_exits(database: Database) -> None:
    async with serving(slow_movie_service) as movie:
        env = {
            "DATABASE_URL": database.url("customer_service"),
            "MOVIE_SERVICE_URL": movie,
            "SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
        }
        with service_process("customer_service", env) as (customer, proc):
            begin = time.monotonic()
            sent_at: list[float] = []

            async def terminate() -> None:
                await asyncio.sleep(3.5)
                sent_at.append(time.monotonic() - begin)
                proc.send_signal(signal.SIGTERM)
                exit_code = await asyncio.to_thread(proc.wait, GRACE_SECONDS + 5)
                sent_at.append(time.monotonic() - begin)
                # uvicorn re-raises the signal once drained: "killed by SIGTERM" is the clean end.
                assert exit_code in (0, -signal.SIGTERM)

            outcomes, _ = await asyncio.gather(
                run_load(
                    lambda n: ("GET", f"{customer}/api/customers/{n % 4 + 1}", None),
                    workers=16,
                    seconds=6,
                ),
                terminate(),
            )

    signalled, exited = sent_at
    in_flight = [o for o in outcomes if o.started < signalled - 0.05]
    assert len(in_flight) >= 8, "too little load reached the service before SIGTERM"
    assert all(o.status == 200 for o in in_flight), [o for o in in_flight if o.status != 200]
    # Requests sent once it stopped listening are refused, as they would never be routed there.
    assert all(o.status in (0, 200) for o in outcomes)
    took = exited - signalled
    print(f"\n{len(in_flight)} requests before SIGTERM, all 200; exited {took:.2f} s after it")
    assert exited - signalled < GRACE_SECONDS
