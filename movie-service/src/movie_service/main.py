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
from netflux_common.app import create_service_app, serve
from netflux_common.db import Database


@contextlib.asynccontextmanager
async def catalogue_lifespan(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """The catalogue and its cache, listening for changes for as long as the app runs."""
    dsn = settings.sqlalchemy_url().set(drivername="postgresql")

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(
            dsn.render_as_string(hide_password=False),
            timeout=settings.db_connect_timeout,
            server_settings={"application_name": "movie-service-listener"},
        )

    cache = MovieCache(connect, check_timeout=settings.db_health_timeout)
    database: Database = app.state.database
    app.state.catalogue = Catalogue(database.engine, cache)
    listener = asyncio.create_task(cache.listen_forever(), name="movie-cache-listener")
    try:
        yield
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener


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
