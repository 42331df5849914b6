"""When movie-service misbehaves: a bounded 502/503 problem, never a hang or a 500."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from netflux_devstack.ports import free_port
from netflux_devstack.testing import Handler, raw_tcp_server

# The settings in conftest bound one call to movie-service at 1.5 s.
BOUND_SECONDS = 3.0


async def _never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(30)
    writer.close()


async def _trickles(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # Headers, then one body byte every 0.5 s: each read is quick, the whole answer never ends.
    await reader.readuntil(b"\r\n\r\n")
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 999\r\n\r\n"
    )
    for _ in range(60):
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(0.5)
    writer.close()


def _answers(status: int, body: bytes) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        head = f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
        writer.write(f"{head}content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode())
        writer.write(body)
        await writer.drain()
        writer.close()

    return handler


ClientFor = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


async def _get_customer(client_for: ClientFor, movie_url: str) -> tuple[httpx.Response, float]:
    async with client_for(movie_url) as client:
        started = time.monotonic()
        response = await client.get("/api/customers/1")
        return response, time.monotonic() - started


@pytest.fixture
async def silent_movie_service() -> AsyncIterator[str]:
    async with raw_tcp_server(_never_answers) as url:
        yield url


async def test_movie_service_down_is_a_503_problem(client_for: ClientFor) -> None:
    response, elapsed = await _get_customer(client_for, f"http://127.0.0.1:{free_port()}")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Movie Service Unavailable"
    assert elapsed < BOUND_SECONDS


async def test_movie_service_that_never_answers_is_a_503_within_the_timeout(
    client_for: ClientFor, silent_movie_service: str
) -> None:
    response, elapsed = await _get_customer(client_for, silent_movie_service)

    assert response.status_code == 503
    assert response.json()["detail"] == "movie-service did not answer in time"
    assert elapsed < BOUND_SECONDS


async def test_movie_service_that_trickles_is_cut_off_by_the_total_timeout(
    client_for: ClientFor,
) -> None:
    async with raw_tcp_server(_trickles) as url:
        response, elapsed = await _get_customer(client_for, url)

    assert response.status_code == 503
    assert elapsed < BOUND_SECONDS


@pytest.mark.parametrize(
    ("status", "body", "expected_status"),
    [
        (200, b"<html>not json</html>", 502),
        (200, b'{"movies": []}', 502),
        (200, b'[{"id": 1, "title": "X", "releaseYear": 2000, "genre": "HORROR"}]', 502),
        (500, b'{"title": "boom"}', 502),
        (404, b"{}", 502),
        (503, b"{}", 503),
    ],
)
async def test_a_bad_answer_from_movie_service_is_a_problem(
    client_for: ClientFor, status: int, body: bytes, expected_status: int
) -> None:
    async with raw_tcp_server(_answers(status, body)) as url:
        response, _ = await _get_customer(client_for, url)

    assert response.status_code == expected_status
    assert response.headers["content-type"] == "application/problem+json"
    assert "Internal" not in response.text


async def test_patch_works_while_movie_service_is_down(client_for: ClientFor) -> None:
    async with client_for(f"http://127.0.0.1:{free_port()}") as client:
        response = await client.patch("/api/customers/3/genre", json={"favoriteGenre": "CRIME"})
        assert (await client.get("/api/customers/3")).status_code == 503

    assert response.status_code == 204


async def test_a_dropped_connection_is_retried_once(client_for: ClientFor) -> None:
    connections = 0
    good = _answers(200, b'[{"id": 1, "title": "Heat", "releaseYear": 1995, "genre": "CRIME"}]')

    async def drops_the_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        if connections == 1:
            writer.transport.abort()  # a reset, as from a task that just died
            return
        await good(reader, writer)

    async with raw_tcp_server(drops_the_first) as url:
        response, _ = await _get_customer(client_for, url)

    assert response.status_code == 200, response.text
    assert connections == 2


async def test_the_breaker_stops_calling_a_failing_movie_service(client_for: ClientFor) -> None:
    calls = 0
    failing = _answers(503, b'{"title": "Service Unavailable"}')

    async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal calls
        calls += 1
        await failing(reader, writer)

    async with raw_tcp_server(counted) as url, client_for(url) as client:
        for _ in range(5):  # the breaker's threshold (the default)
            assert (await client.get("/api/customers/1")).status_code == 503
        calls_before = calls
        response = await client.get("/api/customers/1")

    assert response.status_code == 503
    assert "circuit open" in response.json()["detail"]
    assert int(response.headers["retry-after"]) >= 1
    assert calls == calls_before, "a call was made while the circuit was open"
