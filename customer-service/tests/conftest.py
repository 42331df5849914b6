from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from customer_service.config import Settings
from customer_service.main import create_app
from netflux_devstack.pytest_plugin import TestDatabase
from netflux_devstack.testing import serving

# What the stand-in movie-service serves: the contract's shape, a small catalogue of its own.
CATALOGUE = [
    {"id": 1, "title": "Inception", "releaseYear": 2010, "genre": "ACTION"},
    {"id": 2, "title": "The Godfather", "releaseYear": 1972, "genre": "CRIME"},
    {"id": 3, "title": "Heat", "releaseYear": 1995, "genre": "CRIME"},
    {"id": 4, "title": "Whiplash", "releaseYear": 2014, "genre": "DRAMA"},
    {"id": 5, "title": "Groundhog Day", "releaseYear": 1993, "genre": "COMEDY"},
]


def _movies_of(genre: str) -> list[dict[str, object]]:
    return [m for m in CATALOGUE if m["genre"] == genre]


@pytest.fixture
def movies_of() -> Callable[[str], list[dict[str, object]]]:
    """The stand-in movie-service's movies of one genre, as JSON."""
    return _movies_of


async def _by_genre(request: Request) -> JSONResponse:
    return JSONResponse(_movies_of(request.path_params["genre"]))


@pytest.fixture
async def movie_service_url() -> AsyncIterator[str]:
    """A stand-in movie-service on a loopback port, spoken to over real HTTP."""
    stub = Starlette(routes=[Route("/api/movies/{genre}", _by_genre)])
    async with serving(stub) as url:
        yield url


def make_settings(netflux_db: TestDatabase, movie_service_url: str) -> Settings:
    return Settings(
        database_url=netflux_db.customer_url,
        movie_service_url=movie_service_url,
        movie_service_connect_timeout=0.5,
        movie_service_read_timeout=1.0,
        movie_service_total_timeout=1.5,
    )


@pytest.fixture
def settings(netflux_db: TestDatabase, movie_service_url: str) -> Settings:
    return make_settings(netflux_db, movie_service_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def _client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://customer-service") as c:
        yield c


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with _client_of(app) as c:
        yield c


ClientFor = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_for(netflux_db: TestDatabase) -> ClientFor:
    """A client of a customer-service that calls movie-service at the given URL."""

    @asynccontextmanager
    async def open_client(movie_url: str) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(make_settings(netflux_db, movie_url))
        async with app.router.lifespan_context(app), _client_of(app) as c:
            yield c

    return open_client
