"""Application factory and entry point of movie-service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
from fastapi import FastAPI

from movie_service.cache import MovieCache
from movie_service.config import SERVICE, Settings, get_settings
from movie_service.router import router
from movie_service.service import Catalogue
from netflux_common.app import create_service_app, open_database, serve
from netflux_common.db import Database


@contextlib.asynccontextmanager
async def catalogue_lifespan(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """The catalogue and its cache, listening for changes for as long as the app runs.

    Movie reads go to the read URL when one is set (a replica); the change listener stays on the
    primary: a hot standby cannot LISTEN (PostgreSQL refuses it during recovery), and a NOTIFY
    is only delivered on the server where the writing transaction committed. A replica's lag
    means a page read just after a notification may not show the change yet: such pages are
    not cached for `db_read_settle_seconds` after each notification (see MovieCache).
    """
    dsn = settings.sqlalchemy_url().set(drivername="postgresql")

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(
            dsn.render_as_string(hide_password=False),
            timeout=settings.db_connect_timeout,
            server_settings={"application_name": "movie-service-listener"},
        )

    read_url = settings.read_url()
    cache = MovieCache(
        connect,
        check_timeout=settings.db_health_timeout,
        settle_seconds=settings.db_read_settle_seconds if read_url is not None else 0.0,
    )
    primary: Database = app.state.database
    reads = (
        open_database(app, pool="read", application_name=f"{SERVICE.name}-read", url=read_url)
        if read_url is not None
        else primary
    )
    app.state.catalogue = Catalogue(reads.engine, cache)
    listener = asyncio.create_task(cache.listen_forever(), name="movie-cache-listener")
    try:
        yield
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        if reads is not primary:
            await reads.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_service_app(
        name=SERVICE.name,
        description="Netflux movie catalogue: all movies, or the movies of one genre.",
        settings=settings,
        routers=[router],
        lifespan_hook=lambda app: catalogue_lifespan(app, settings),
    )


def run() -> None:
    settings = get_settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    run()
