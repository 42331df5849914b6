"""customer-service's own metrics: movie-service calls by outcome and the breaker's state."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
from prometheus_client.parser import text_string_to_metric_families

from netflux_catalogue import METRICS_PATH

ClientFor = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, str], float]:
    response = await client.get(METRICS_PATH)
    assert response.status_code == 200
    found: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            label = sample.labels.get("outcome") or sample.labels.get("state") or ""
            found[(sample.name, label)] = sample.value
    return found


async def test_calls_are_counted_by_outcome(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/customers/1")).status_code == 200
    assert (await client.get("/api/customers/1")).status_code == 200

    metrics = await scrape(client)
    # The first call fetched; the stand-in sends no ETag, so the second fetched again.
    assert metrics[("movie_client_calls_total", "ok")] == 2
    assert metrics[("movie_client_calls_total", "unreachable")] == 0
    assert metrics[("movie_client_circuit_breaker_state", "closed")] == 1
    assert metrics[("movie_client_circuit_breaker_state", "open")] == 0


async def test_an_unreachable_movie_service_and_the_open_breaker_show(
    client_for: ClientFor,
) -> None:
    async with client_for("http://127.0.0.1:1") as client:  # port 1 refuses
        for _ in range(6):  # 5 failed calls open the breaker; the 6th is not made
            assert (await client.get("/api/customers/1")).status_code == 503
        metrics = await scrape(client)

    assert metrics[("movie_client_calls_total", "unreachable")] == 10  # each call retried once
    assert metrics[("movie_client_calls_total", "circuit_open")] == 1
    assert metrics[("movie_client_circuit_breaker_state", "open")] == 1
    assert metrics[("movie_client_circuit_breaker_state", "closed")] == 0
