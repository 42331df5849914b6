"""Recommendations: bounded, revalidated with ETags, and a customer's own change seen next."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from customer_service.movie_client import RECOMMENDATIONS_LIMIT
from netflux_devstack.testing import serving

ClientFor = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@dataclass
class EtagMovieService:
    """A stand-in movie-service that validates with ETags and records what it was asked."""

    movies: list[dict[str, object]]
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (query, If-None-Match)
    request_ids: list[str | None] = field(default_factory=list)  # X-Request-ID of each call
    not_modified: int = 0
    delay: float = 0.0  # seconds between reading the catalogue and answering
    called: asyncio.Event = field(default_factory=asyncio.Event)

    async def by_genre(self, request: Request) -> Response:
        self.requests.append((request.url.query, request.headers.get("if-none-match")))
        self.request_ids.append(request.headers.get("x-request-id"))
        self.called.set()
        genre = request.path_params["genre"].upper()
        movies = list(self.movies)
        await asyncio.sleep(self.delay)
        body = json.dumps([m for m in movies if m["genre"] == genre]).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            self.not_modified += 1
            return Response(status_code=304, headers={"ETag": etag})
        return Response(body, media_type="application/json", headers={"ETag": etag})


def _action(n: int) -> list[dict[str, object]]:
    return [
        {"id": i, "title": f"Action {i}", "releaseYear": 2000, "genre": "ACTION"}
        for i in range(1, n + 1)
    ]


@pytest.fixture
async def stub() -> AsyncIterator[tuple[EtagMovieService, str]]:
    service = EtagMovieService(_action(3))
    app = Starlette(routes=[Route("/api/movies/{genre}", service.by_genre)])
    async with serving(app) as url:
        yield service, url


async def test_recommendations_are_bounded_even_when_movie_service_sends_more(
    stub: tuple[EtagMovieService, str], client_for: ClientFor
) -> None:
    service, url = stub
    service.movies = _action(50)  # this stand-in ignores `limit`

    async with client_for(url) as client:
        body = (await client.get("/api/customers/1")).json()

    assert [m["id"] for m in body["recommendedMovies"]] == list(range(1, RECOMMENDATIONS_LIMIT + 1))
    assert service.requests[0][0] == f"limit={RECOMMENDATIONS_LIMIT}"


async def test_movie_calls_revalidate_with_the_etag_and_see_changes_at_once(
    stub: tuple[EtagMovieService, str], client_for: ClientFor
) -> None:
    service, url = stub
    async with client_for(url) as client:
        first = (await client.get("/api/customers/1")).json()
        second = (await client.get("/api/customers/1")).json()
        service.movies = [*service.movies, *_action(4)[3:]]  # movie 4 is added
        third = (await client.get("/api/customers/1")).json()

    assert [m["id"] for m in first["recommendedMovies"]] == [1, 2, 3]
    assert second == first
    assert service.not_modified == 1  # the second call was a 304, and its answer the same
    first_etag_sent = service.requests[1][1]
    assert first_etag_sent is not None
    assert service.requests[2][1] == first_etag_sent
    assert [m["id"] for m in third["recommendedMovies"]] == [1, 2, 3, 4]


async def test_each_customer_reads_their_own_patch_at_once(client: httpx.AsyncClient) -> None:
    genres = ["DRAMA", "COMEDY", "CRIME", "ACTION", "DRAMA", "CRIME"]
    for customer_id in (1, 2, 3, 4):
        for genre in genres:
            patched = await client.patch(
                f"/api/customers/{customer_id}/genre", json={"favoriteGenre": genre}
            )
            assert patched.status_code == 204
            body = (await client.get(f"/api/customers/{customer_id}")).json()
            assert body["favoriteGenre"] == genre
            assert body["recommendedMovies"]
            assert {m["genre"] for m in body["recommendedMovies"]} == {genre}


async def test_concurrent_requests_share_calls_but_never_one_that_predates_them(
    stub: tuple[EtagMovieService, str], client_for: ClientFor
) -> None:
    service, url = stub
    service.delay = 0.3
    async with client_for(url) as client:
        early = asyncio.create_task(client.get("/api/customers/1"))
        async with asyncio.timeout(5):  # its call is in flight, with the catalogue as it was
            await service.called.wait()
        service.movies = [*service.movies, *_action(4)[3:]]
        late = [asyncio.create_task(client.get("/api/customers/1")) for _ in range(8)]
        answers = [await early, *[await t for t in late]]

    assert all(a.status_code == 200 for a in answers)
    assert [m["id"] for m in answers[0].json()["recommendedMovies"]] == [1, 2, 3]
    for answer in answers[1:]:  # arrived after the change: all see movie 4
        assert [m["id"] for m in answer.json()["recommendedMovies"]] == [1, 2, 3, 4]
    # The early call, then calls shared by the eight (one, unless a slow machine spreads them).
    assert len(service.requests) < 1 + len(late)


async def test_a_shared_call_is_made_on_behalf_of_a_caller_waiting_for_it(
    stub: tuple[EtagMovieService, str], client_for: ClientFor
) -> None:
    """The call after the one in flight carries the request id (and with it the trace) of a
    request that waits for it, not of the request that started the call before it."""
    service, url = stub
    service.delay = 0.3
    async with client_for(url) as client:
        early = asyncio.create_task(
            client.get("/api/customers/1", headers={"X-Request-ID": "early"})
        )
        async with asyncio.timeout(5):
            await service.called.wait()
        late = [
            asyncio.create_task(
                client.get("/api/customers/1", headers={"X-Request-ID": f"late-{n}"})
            )
            for n in range(4)
        ]
        answers = [await early, *[await t for t in late]]

    assert all(a.status_code == 200 for a in answers)
    assert service.request_ids[0] == "early"
    assert len(service.request_ids) >= 2
    assert all(rid is not None and rid.startswith("late-") for rid in service.request_ids[1:])
