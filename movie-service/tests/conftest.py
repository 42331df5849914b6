from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from movie_service.config import Settings
from movie_service.main import create_app
from netflux_devstack.pytest_plugin import TestDatabase


@pytest.fixture
def settings(netflux_db: TestDatabase) -> Settings:
    return Settings(database_url=netflux_db.movie_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://movie-service") as client:
        yield client
