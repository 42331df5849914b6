from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from netflux_common.app import create_service_app
from netflux_common.settings import ServiceSettings
from netflux_devstack.testing import app_client


@asynccontextmanager
async def service_client(router: APIRouter) -> AsyncIterator[httpx.AsyncClient]:
    """A client for a service app built on `router`, lifespan included.

    Port 1 on loopback refuses connections: a route that queries meets an unreachable database.
    """
    settings = ServiceSettings(database_url="postgresql://u:p@127.0.0.1:1/none")
    app: FastAPI = create_service_app(
        name="test", description="test", settings=settings, routers=[router]
    )
    async with app_client(app, "http://t") as client:
        yield client


@pytest.fixture
def client_for() -> Callable[[APIRouter], AbstractAsyncContextManager[httpx.AsyncClient]]:
    return service_client
