"""Keyset pages with Link headers, ETag revalidation, and a cache that never serves stale pages."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from movie_service.service import DEFAULT_LIMIT, MAX_LIMIT
from netflux_devstack.polling import wait_until_async
from netflux_devstack.pytest_plugin import TestDatabase

# Seed ids of ACTION movies in init.sql.
ACTION_IDS = [1, 3, 4, 5, 6, 7]


@pytest.fixture
async def listening(app: FastAPI) -> FastAPI:
    """The app once its cache listens for changes (it caches nothing before)."""
    async with asyncio.timeout(10):
        await app.state.catalogue.cache.ready.wait()
    return app


async def _sql(netflux_db: TestDatabase, statement: str, *args: object) -> None:
    """A change made by someone else: another connection, committed."""
    conn = await asyncpg.connect(netflux_db.movie_url)
    try:
        await conn.execute(statement, *args)
    finally:
        await conn.close()


async def _eventually(check: Callable[[], Awaitable[bool]], seconds: float = 5) -> None:
    """Poll until `check` holds; a notification arrives about a round trip after the commit."""
    await wait_until_async(check, within=seconds, what="the change", interval=0.05)


def _next_link(response: httpx.Response) -> str | None:
    link: str | None = response.headers.get("link")
    if link is None:
        return None
    target, rel = link.split(";")
    assert rel.strip() == 'rel="next"'
    return target.strip().removeprefix("<").removesuffix(">")


async def test_the_default_page_holds_the_whole_seed_catalogue_and_no_link(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/movies")

    assert len(response.json()) == 22 < DEFAULT_LIMIT
    assert "link" not in response.headers


async def test_following_next_links_walks_every_movie_once(client: httpx.AsyncClient) -> None:
    everything = (await client.get("/api/movies")).json()
    seen: list[dict[str, object]] = []
    url: str | None = "/api/movies?limit=5"
    pages = 0
    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200
        page = response.json()
        assert 1 <= len(page) <= 5
        seen += page
        pages += 1
        url = _next_link(response)

    assert seen == everything
    assert pages == 5  # 22 movies: four full pages, then two, and that last one has no link


async def test_a_genre_is_paged_on_id_with_links_to_the_next_page(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get("/api/movies/action?limit=2")
    assert [m["id"] for m in first.json()] == ACTION_IDS[:2]
    assert _next_link(first) == "/api/movies/ACTION?limit=2&after=3"

    second = await client.get("/api/movies/ACTION?limit=2&after=3")
    assert [m["id"] for m in second.json()] == ACTION_IDS[2:4]

    last = await client.get("/api/movies/ACTION?limit=2&after=5")
    assert [m["id"] for m in last.json()] == ACTION_IDS[4:]
    assert "link" not in last.headers


async def test_a_cursor_past_the_end_is_an_empty_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/movies?after=1000")

    assert response.status_code == 200
    assert response.json() == []
    assert "link" not in response.headers


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        (f"limit={MAX_LIMIT + 1}", "limit"),
        ("limit=ten", "limit"),
        ("after=-1", "after"),
        ("after=abc", "after"),
        ("after=2147483648", "after"),
    ],
)
@pytest.mark.parametrize("path", ["/api/movies", "/api/movies/DRAMA"])
async def test_a_bad_page_parameter_is_a_400_problem(
    client: httpx.AsyncClient, path: str, query: str, field: str
) -> None:
    response = await client.get(f"{path}?{query}")

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Bad Request"
    assert problem["instance"] == path
    assert [e["field"] for e in problem["errors"]] == [field]


async def test_answers_carry_an_etag_and_revalidate_with_304(client: httpx.AsyncClient) -> None:
    first = await client.get("/api/movies/CRIME")
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert "must-revalidate" in first.headers["cache-control"]

    for validator in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await client.get("/api/movies/CRIME", headers={"If-None-Match": validator})
        assert again.status_code == 304, validator
        assert again.content == b""
        assert again.headers["etag"] == etag

    other = await client.get("/api/movies/CRIME", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200
    assert other.json() == first.json()
    assert (await client.get("/api/movies/DRAMA")).headers["etag"] != etag


@pytest.mark.usefixtures("listening")
async def test_an_update_by_another_connection_is_served_next(
    client: httpx.AsyncClient, netflux_db: TestDatabase
) -> None:
    before = await client.get("/api/movies/DRAMA")
    assert (await client.get("/api/movies/DRAMA")).json() == before.json()

    await _sql(netflux_db, "UPDATE movie SET title = 'Whiplash (2014)' WHERE id = 20")

    async def renamed() -> bool:
        validator = {"If-None-Match": before.headers["etag"]}
        response = await client.get("/api/movies/DRAMA", headers=validator)
        return response.status_code == 200 and any(
            m["title"] == "Whiplash (2014)" for m in response.json()
        )

    await _eventually(renamed)


@pytest.mark.usefixtures("listening")
async def test_inserts_and_deletes_by_another_connection_are_served_next(
    client: httpx.AsyncClient, netflux_db: TestDatabase
) -> None:
    assert len((await client.get("/api/movies")).json()) == 22

    await _sql(
        netflux_db,
        "INSERT INTO movie (title, release_year, genre) VALUES ('Knives Out', 2019, 'CRIME')",
    )

    async def count_is(n: int) -> bool:
        return len((await client.get("/api/movies")).json()) == n

    await _eventually(lambda: count_is(23))
    await _sql(netflux_db, "DELETE FROM movie WHERE title = 'Knives Out'")
    await _eventually(lambda: count_is(22))


async def test_changes_made_while_the_listener_was_cut_off_are_not_missed(
    app: FastAPI, listening: FastAPI, client: httpx.AsyncClient, netflux_db: TestDatabase
) -> None:
    cache = app.state.catalogue.cache
    assert len((await client.get("/api/movies/COMEDY")).json()) == 6
    assert cache.get(("COMEDY", None, DEFAULT_LIMIT)) is not None  # served from the cache now

    conn = await asyncpg.connect(netflux_db.admin_url)
    try:
        # Kill the listening connection, then change the table before it can reconnect.
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'movie-service-listener' AND datname = current_database()"
        )
        await conn.execute("DELETE FROM movie.movie WHERE genre = 'COMEDY'")
    finally:
        await conn.close()

    async def emptied() -> bool:
        return bool((await client.get("/api/movies/COMEDY")).json() == [])

    await _eventually(emptied)
    async with asyncio.timeout(10):  # and it listens again afterwards
        await cache.ready.wait()
