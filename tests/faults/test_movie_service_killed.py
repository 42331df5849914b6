"""movie-service killed under load: customer-service answers 503 problems at once through its
circuit breaker (no call made while it is open), and recovers by itself when movie-service is
back."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import statistics
import time

import httpx

from netflux_devstack.ports import free_port
from netflux_devstack.testing import run_load, service_process

from .conftest import Database

KILLED_AT, BACK_AT, LOAD_SECONDS = 3.0, 9.0, 20.0


async def test_breaker_answers_fast_while_movie_service_is_down_and_recovers(
    database: Database,
) -> None:
    movie_port = free_port()
    movie_env = {"DATABASE_URL": database.url("movie_service")}
    open_details: list[str] = []
    with contextlib.ExitStack() as stack:
        movie, movie_proc = stack.enter_context(
            service_process("movie_service", movie_env, port=movie_port)
        )
        customer, _ = stack.enter_context(
            service_process(
                "customer_service",
                {
                    "DATABASE_URL": database.url("customer_service"),
                    "MOVIE_SERVICE_URL": movie,
                    "MOVIE_SERVICE_BREAKER_RESET_SECONDS": "3",
                },
            )
        )

        async def kill_and_restart() -> None:
            await asyncio.sleep(KILLED_AT)
            movie_proc.send_signal(signal.SIGKILL)
            await asyncio.to_thread(movie_proc.wait)
            async with httpx.AsyncClient() as http:
                await asyncio.sleep(2)
                problem = (await http.get(f"{customer}/api/customers/1")).json()
                open_details.append(problem["detail"])
            await asyncio.sleep(BACK_AT - KILLED_AT - 2)
            restarted = service_process("movie_service", movie_env, port=movie_port)
            await asyncio.to_thread(stack.enter_context, restarted)

        begin = time.monotonic()
        outcomes, _ = await asyncio.gather(
            run_load(
                lambda n: ("GET", f"{customer}/api/customers/{n % 4 + 1}", None),
                workers=8,
                seconds=LOAD_SECONDS,
            ),
            kill_and_restart(),
        )
        assert time.monotonic() - begin < LOAD_SECONDS + 30

    assert all(o.status in (200, 503) for o in outcomes), {o.status for o in outcomes}
    down = [o for o in outcomes if o.status == 503]
    assert all(o.content_type == "application/problem+json" for o in down)
    assert "circuit open" in open_details[0]
    # While the circuit is open an answer costs no call: it is as fast as the service itself.
    settled = [o.seconds for o in down if KILLED_AT + 1 < o.started < BACK_AT]
    p50, p99 = statistics.median(settled), statistics.quantiles(settled, n=100)[98]
    ms = f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
    print(f"\n{len(down)} answers 503 while movie-service was down; latency {ms}")
    # No call, so no wait for movie-service's timeouts (3 s): loose bounds, as the machine's load
    # varies; the unit test (test_movie_service_failures.py) shows that no call is made at all.
    assert p50 < 0.5
    assert p99 < 1.5
    back = min(o.started for o in outcomes if o.status == 200 and o.started > BACK_AT)
    print(f"answers 200 again {back - BACK_AT:.1f} s after movie-service was started again")
    # Back once it is healthy again and the breaker's reset time has passed.
    recovered = [o for o in outcomes if o.started > LOAD_SECONDS - 2]
    assert recovered
    assert all(o.status == 200 for o in recovered), "customer-service did not recover by itself"
