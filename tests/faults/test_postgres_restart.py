"""PostgreSQL restarted under load: health goes DOWN then UP, no request hangs past its timeout,
every answer meanwhile is 200 or a 503 problem, and the services recover without a restart."""

from __future__ import annotations

import asyncio
import time

import httpx

from netflux_devstack.testing import Outcome, run_load, service_process

from .conftest import Database

OUTAGE_SECONDS = 4
# What one request may take while the database is gone: the connect timeout (3 s) plus margin.
WORST_CASE_SECONDS = 6


async def test_services_ride_out_a_database_restart(database: Database) -> None:
    with (
        service_process("movie_service", {"DATABASE_URL": database.url("movie_service")}) as (
            movie,
            _,
        ),
        service_process(
            "customer_service",
            {"DATABASE_URL": database.url("customer_service"), "MOVIE_SERVICE_URL": movie},
        ) as (customer, _),
    ):
        health: list[tuple[float, str]] = []
        begin = time.monotonic()

        async def restart_and_watch() -> None:
            async with httpx.AsyncClient(timeout=5) as http:

                async def probe() -> None:
                    status = (await http.get(movie + "/actuator/health")).json()["status"]
                    health.append((time.monotonic() - begin, status))

                await asyncio.sleep(2)
                await probe()
                await asyncio.to_thread(database.server.stop)
                await asyncio.sleep(OUTAGE_SECONDS)
                await probe()
                await asyncio.to_thread(database.server.start)
                for _ in range(40):
                    await asyncio.sleep(0.25)
                    await probe()

        def request_for(n: int) -> tuple[str, str, None]:
            return ("GET", f"{movie}/api/movies" if n % 2 else f"{customer}/api/customers/1", None)

        outcomes, _ = await asyncio.gather(
            run_load(request_for, workers=8, seconds=18), restart_and_watch()
        )

    refused = [o for o in outcomes if o.status == 503]
    print(
        f"\n{len(outcomes)} requests, {len(refused)} answered 503 during the outage; slowest "
        f"{max(o.seconds for o in outcomes):.2f} s; health: {health[:3]} ... {health[-1]}"
    )
    statuses = [s for _, s in health]
    assert statuses[0] == "UP"
    assert "DOWN" in statuses
    assert statuses[-1] == "UP", health
    assert_no_server_errors_and_bounded(outcomes)
    last = max(o.started for o in outcomes)
    recovered = [o for o in outcomes if o.started > last - 3]
    assert recovered
    assert all(o.status == 200 for o in recovered), "the services did not recover on their own"


def assert_no_server_errors_and_bounded(outcomes: list[Outcome]) -> None:
    assert outcomes
    for outcome in outcomes:
        assert outcome.status in (200, 503), outcome
        if outcome.status == 503:
            assert outcome.content_type == "application/problem+json", outcome
        assert outcome.seconds < WORST_CASE_SECONDS, outcome
    assert any(o.status == 503 for o in outcomes), "the outage was never seen"
