"""Movie reads go to the read URL when one is given (a replica in production); the change
listener and the health check stay on the primary."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from movie_service.cache import MovieCache, Page
from movie_service.config import Settings
from movie_service.main import create_app
from netflux_devstack.pytest_plugin import TestDatabase
from netflux_devstack.testing import TcpProxy, app_client


@pytest.fixture
async def read_proxy(netflux_db: TestDatabase) -> AsyncIterator[TcpProxy]:
    """The stand-in replica: the same server behind a proxy that the test can cut."""
    target = urlsplit(netflux_db.movie_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    yield proxy
    await proxy.cut()


async def last_queries(netflux_db: TestDatabase, application_name: str) -> list[str]:
    conn = await asyncpg.connect(netflux_db.admin_url)
    try:
        rows = await conn.fetch(
            "SELECT query FROM pg_stat_activity WHERE application_name = $1", application_name
        )
    finally:
        await conn.close()
    return [r["query"] for r in rows]


async def test_movie_reads_use_the_read_url(netflux_db: TestDatabase, read_proxy: TcpProxy) -> None:
    read_url = make_url(netflux_db.movie_url).set(port=read_proxy.port)
    settings = Settings(
        database_url=netflux_db.movie_url,
        database_read_url=read_url.render_as_string(hide_password=False),
        db_connect_timeout=1.0,
    )
    app = create_app(settings)
    async with app_client(app) as client:
        await asyncio.wait_for(app.state.catalogue.cache.ready.wait(), 10)
        assert (await client.get("/api/movies/CRIME?limit=2")).status_code == 200
        # The query ran on a connection of the read pool.
        read_queries = await last_queries(netflux_db, "movie-service-read")
        assert any("FROM movie.movie" in q for q in read_queries), read_queries

        await read_proxy.cut()  # the replica is gone; the primary is fine
        response = await client.get("/api/movies/CRIME?limit=3")
        assert response.status_code == 503
        assert response.json()["type"] == "urn:netflux:problem:database-unavailable"
        assert (await client.get("/actuator/health")).status_code == 200  # the primary
        assert app.state.catalogue.cache.ready.is_set()  # still listening on the primary

        await read_proxy.restore()
        assert (await client.get("/api/movies/CRIME?limit=3")).status_code == 200


def test_a_read_host_keeps_the_primarys_port_database_and_login() -> None:
    settings = Settings(
        db_host="primary.db", db_port=6543, db_password="pw", db_read_host="replica.db"
    )
    read = settings.read_url()
    assert read is not None
    assert read.host == "replica.db"
    assert read.set(host="primary.db") == settings.sqlalchemy_url()


def test_without_a_read_setting_reads_use_the_primary() -> None:
    assert Settings(db_host="primary.db").read_url() is None


def test_a_read_url_must_be_postgresql() -> None:
    with pytest.raises(ValueError, match="DATABASE_READ_URL"):
        Settings(database_read_url="mysql://u:p@h/db")


async def test_pages_read_just_after_a_change_are_not_kept() -> None:
    """A replica may still show the old catalogue right after the NOTIFY: such pages are
    served but not cached for the settle time."""

    async def never() -> asyncpg.Connection:
        raise OSError("not used")

    cache = MovieCache(never, settle_seconds=0.2)
    cache._listening = True  # as while the listener runs
    page = Page(b"[]", '"e"', None)
    cache.invalidate()  # a change was notified
    cache.put((None, None, 1), page, cache.generation)
    assert cache.get((None, None, 1)) is None
    await asyncio.sleep(0.25)
    cache.put((None, None, 1), page, cache.generation)
    assert cache.get((None, None, 1)) == page
