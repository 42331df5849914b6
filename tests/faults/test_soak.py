"""A bounded soak: minutes of mixed load with PATCHes on both services, zero errors, and resident
memory that does not creep (growth under 10 % from the warmed-up level)."""

from __future__ import annotations

import os
from typing import Any

from netflux_devstack.testing import RequestFor, rss_bytes, run_load, service_process

from .conftest import Database

WARM_UP_SECONDS = 20
SOAK_SECONDS = float(os.environ.get("NETFLUX_SOAK_SECONDS", "120"))
GENRES = ("ACTION", "COMEDY", "CRIME", "DRAMA")


def mixed(movie: str, customer: str) -> RequestFor:
    def request_for(n: int) -> tuple[str, str, Any]:
        if n % 10 == 0:  # 10 % writes
            return ("PATCH", f"{customer}/api/customers/{n % 4 + 1}/genre",
                    {"favoriteGenre": GENRES[n // 10 % 4]})  # fmt: skip
        if n % 3 == 0:
            return ("GET", f"{movie}/api/movies/{GENRES[n % 4]}", None)
        return ("GET", f"{customer}/api/customers/{n % 4 + 1}", None)

    return request_for


async def test_mixed_load_has_no_errors_and_memory_does_not_creep(database: Database) -> None:
    with (
        service_process("movie_service", {"DATABASE_URL": database.url("movie_service")}) as (
            movie,
            movie_proc,
        ),
        service_process(
            "customer_service",
            {"DATABASE_URL": database.url("customer_service"), "MOVIE_SERVICE_URL": movie},
        ) as (customer, customer_proc),
    ):
        request_for = mixed(movie, customer)
        warm = await run_load(request_for, workers=8, seconds=WARM_UP_SECONDS)
        before = {p.pid: rss_bytes(p.pid) for p in (movie_proc, customer_proc)}
        soak = await run_load(request_for, workers=8, seconds=SOAK_SECONDS)
        after = {pid: rss_bytes(pid) for pid in before}

    outcomes = warm + soak
    failures = [o for o in outcomes if o.status not in (200, 204)]
    assert not failures, failures[:5]
    assert len(soak) > SOAK_SECONDS * 20, "the soak barely ran"
    for pid, start in before.items():
        growth = (after[pid] - start) / start
        print(f"pid {pid}: RSS {start / 2**20:.1f} -> {after[pid] / 2**20:.1f} MiB ({growth:+.1%})")
        assert growth < 0.10, f"RSS of {pid} grew {growth:.1%} in {SOAK_SECONDS:.0f} s"
