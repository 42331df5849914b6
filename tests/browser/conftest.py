"""Browser tests: headless Chromium (Debian's, driven by Playwright) against a running Netflux.

By default each test gets its own stack, in process: a fresh database, movie-service,
customer-service and the `make run` edge, each on a loopback port. With NETFLUX_WEB_URL set they
run against that deployment instead (CI points it at the compose stack), using
NETFLUX_STOP_MOVIE / NETFLUX_START_MOVIE (shell commands) and NETFLUX_WEB_MOVIE_DB_URL.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator, Generator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from playwright.async_api import Browser, Page, async_playwright

from customer_service.config import Settings as CustomerSettings
from customer_service.main import create_app as create_customer_app
from movie_service.config import Settings as MovieSettings
from movie_service.main import create_app as create_movie_app
from netflux_devstack.edge import create_edge
from netflux_devstack.ports import free_port
from netflux_devstack.pytest_plugin import PostgresServer, TestDatabase, fresh_database
from netflux_devstack.testing import serving

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"


class WebStack:
    """What a browser test needs from the system under test."""

    def __init__(self, base_url: str, movie_db_url: str) -> None:
        self.base_url = base_url
        self.movie_db_url = movie_db_url

    async def stop_movie_service(self) -> None:
        raise NotImplementedError

    async def start_movie_service(self) -> None:
        raise NotImplementedError

    async def execute(self, sql: str, *args: Any) -> Any:
        conn = await asyncpg.connect(self.movie_db_url)
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()


class InProcessStack(WebStack):
    def __init__(self, db: TestDatabase) -> None:
        super().__init__("", db.movie_url)
        self.db = db
        self.movie_port = free_port()
        self._movie: AsyncExitStack | None = None

    async def start_movie_service(self) -> None:
        self._movie = AsyncExitStack()
        app = create_movie_app(MovieSettings(database_url=self.db.movie_url))
        await self._movie.enter_async_context(serving(app, self.movie_port))

    async def stop_movie_service(self) -> None:
        if self._movie is not None:
            await self._movie.aclose()
            self._movie = None


class DeployedStack(WebStack):
    """Commands come from the environment, e.g. `docker compose stop movie-service`."""

    async def _run(self, variable: str) -> None:
        if variable not in os.environ:
            pytest.skip(f"{variable} is not set: this deployment cannot stop movie-service")
        command = ["bash", "-c", os.environ[variable]]
        await asyncio.to_thread(subprocess.run, command, check=True)

    async def stop_movie_service(self) -> None:
        await self._run("NETFLUX_STOP_MOVIE")

    async def start_movie_service(self) -> None:
        await self._run("NETFLUX_START_MOVIE")


@pytest.fixture
async def web(request: pytest.FixtureRequest) -> AsyncIterator[WebStack]:
    if url := os.environ.get("NETFLUX_WEB_URL"):
        yield DeployedStack(url.rstrip("/"), os.environ["NETFLUX_WEB_MOVIE_DB_URL"])
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    async with fresh_database(server) as db, in_process_stack(db) as stack:
        yield stack


@asynccontextmanager
async def in_process_stack(db: TestDatabase) -> AsyncIterator[InProcessStack]:
    """What `make run` runs, in this process: both services and the edge on loopback ports."""
    stack = InProcessStack(db)
    await stack.start_movie_service()
    movie_url = f"http://127.0.0.1:{stack.movie_port}"
    customer = create_customer_app(
        CustomerSettings(database_url=db.customer_url, movie_service_url=movie_url)
    )
    async with serving(customer) as customer_url:
        edge = create_edge({"movie-service": movie_url, "customer-service": customer_url})
        async with serving(edge) as edge_url:
            stack.base_url = edge_url
            yield stack
    await stack.stop_movie_service()


_failed = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_failed] = report.failed  # the page fixture saves a screenshot then
    return report


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Chromium at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)")
    return CHROMIUM


@pytest.fixture
async def page(request: pytest.FixtureRequest, chromium: str) -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser: Browser = await playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_FLAGS
        )
        page = await browser.new_page(viewport={"width": 1100, "height": 800})
        page.set_default_timeout(10_000)
        try:
            yield page
        finally:
            if request.node.stash.get(_failed, False):
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
            await browser.close()
