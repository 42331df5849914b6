"""Actuator health, and what clients see while the database is away and after it is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from movie_service.config import Settings
from movie_service.main import create_app
from netflux_devstack.pytest_plugin import TestDatabase
from netflux_devstack.testing import TcpProxy


async def test_health_reports_the_database_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/actuator/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "UP"
    assert body["components"]["db"]["status"] == "UP"


@pytest.mark.parametrize("probe", ["liveness", "readiness"])
async def test_probes_are_up(client: httpx.AsyncClient, probe: str) -> None:
    response = await client.get(f"/actuator/health/{probe}")

    assert response.status_code == 200
    assert response.json()["status"] == "UP"


@pytest.fixture
async def db_proxy(netflux_db: TestDatabase) -> AsyncIterator[TcpProxy]:
    target = urlsplit(netflux_db.movie_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    yield proxy
    await proxy.cut()


@pytest.fixture
async def proxied_client(
    netflux_db: TestDatabase, db_proxy: TcpProxy
) -> AsyncIterator[httpx.AsyncClient]:
    # The discrete DB_* variables, as ECS injects them, pointed at the proxy.
    settings = Settings(
        db_host="127.0.0.1",
        db_port=db_proxy.port,
        db_name=netflux_db.name,
        db_connect_timeout=1.0,
        db_health_timeout=1.0,
    )
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
            yield client


async def test_database_outage_is_reported_and_recovered_from(
    proxied_client: httpx.AsyncClient, db_proxy: TcpProxy
) -> None:
    assert (await proxied_client.get("/api/movies")).status_code == 200

    await db_proxy.cut()
    started = time.monotonic()
    health = await proxied_client.get("/actuator/health")
    movies = await proxied_client.get("/api/movies")
    readiness = await proxied_client.get("/actuator/health/readiness")
    liveness = await proxied_client.get("/actuator/health/liveness")
    elapsed = time.monotonic() - started

    assert health.status_code == 503
    assert health.json()["status"] == "DOWN"
    assert health.json()["components"]["db"]["status"] == "DOWN"
    assert readiness.status_code == 503
    assert liveness.status_code == 200
    assert movies.status_code == 503
    assert movies.headers["content-type"] == "application/problem+json"
    assert movies.json()["title"] == "Database Unavailable"
    assert movies.headers["retry-after"] == "5"
    assert elapsed < 8

    await db_proxy.restore()
    for _ in range(50):  # the pool replaces dead connections on its own
        if (await proxied_client.get("/api/movies")).status_code == 200:
            break
        await asyncio.sleep(0.1)
    assert (await proxied_client.get("/api/movies")).status_code == 200
    assert (await proxied_client.get("/actuator/health")).json()["status"] == "UP"
