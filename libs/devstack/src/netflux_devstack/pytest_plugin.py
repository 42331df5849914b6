"""pytest plugin: a real PostgreSQL for each test, wired to the apps like @ServiceConnection.

The server is chosen once per run, first match wins:
1. TEST_DATABASE_URL: an existing server (a superuser URL);
2. Testcontainers with POSTGRES_IMAGE (default: the official image on ECR Public) and init.sql
   mounted into /docker-entrypoint-initdb.d, when a Docker daemon answers;
3. the embedded launcher of `make run`, in a temporary folder.
Set NETFLUX_TEST_REQUIRE_DOCKER=1 (CI does) to fail instead of falling back from 2 to 3.

Each test gets its own database, cloned from a template that init.sql built once, so tests can
write freely and never see each other's changes.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from netflux_catalogue import SERVICES
from netflux_devstack.ports import free_port
from netflux_devstack.postgres import (
    SUPERUSER,
    SUPERUSER_PASSWORD,
    EmbeddedPostgres,
    ensure_database,
    wait_until_accepting,
)

DEFAULT_POSTGRES_IMAGE = "public.ecr.aws/docker/library/postgres:16-alpine"
TEMPLATE_DB = "netflux_template"
# Local passwords from init.sql; the tests log in exactly as the services do.
SERVICE_ROLES = {s.short: s.db_role for s in SERVICES}

_counter = itertools.count()
_backend_key = pytest.StashKey[str]()


@dataclass(frozen=True)
class PostgresServer:
    kind: str  # "external", "testcontainers" or "embedded"
    host: str
    port: int
    superuser: str
    superuser_password: str

    def url(self, database: str, user: str | None = None, password: str | None = None) -> str:
        user = user or self.superuser
        password = self.superuser_password if password is None else password
        return f"postgresql://{user}:{password}@{self.host}:{self.port}/{database}"


@dataclass(frozen=True)
class TestDatabase:
    """One test's database, with the URLs each service (and an administrator) would use."""

    __test__ = False  # not a test class, despite the name

    server: PostgresServer
    name: str

    @property
    def admin_url(self) -> str:
        return self.server.url(self.name)

    def service_url(self, service: str) -> str:
        role = SERVICE_ROLES[service]
        return self.server.url(self.name, role, role)

    @property
    def movie_url(self) -> str:
        return self.service_url("movie")

    @property
    def customer_url(self) -> str:
        return self.service_url("customer")


def _init_sql(config: pytest.Config) -> Path:
    path = Path(os.environ.get("NETFLUX_INIT_SQL", config.rootpath / "init.sql"))
    if not path.is_file():
        raise pytest.UsageError(f"init.sql not found at {path} (set NETFLUX_INIT_SQL)")
    return path


def _from_url(url: str) -> PostgresServer:
    parts = urlsplit(url)
    return PostgresServer(
        "external", parts.hostname or "localhost", parts.port or 5432,
        parts.username or SUPERUSER, parts.password or "",
    )  # fmt: skip


def _start_container(init_sql: Path) -> Iterator[PostgresServer] | None:
    """None when no Docker daemon answers or the image cannot be had."""
    import docker.errors
    from testcontainers.community.postgres import PostgresContainer

    try:
        image = os.environ.get("POSTGRES_IMAGE", DEFAULT_POSTGRES_IMAGE)
        container = PostgresContainer(
            image,
            username=SUPERUSER,
            password=SUPERUSER_PASSWORD,
            dbname=TEMPLATE_DB,
            driver=None,
        ).with_volume_mapping(str(init_sql), "/docker-entrypoint-initdb.d/init.sql", "ro")
        container.start()
    except docker.errors.DockerException as exc:
        _explain_fallback(f"no usable Docker ({type(exc).__name__}: {str(exc)[:200]})")
        return None

    def run() -> Iterator[PostgresServer]:
        try:
            yield PostgresServer(
                f"testcontainers ({image})",
                container.get_container_host_ip(),
                int(container.get_exposed_port(5432)),
                SUPERUSER,
                SUPERUSER_PASSWORD,
            )
        finally:
            container.stop()

    return run()


def _explain_fallback(reason: str) -> None:
    if os.environ.get("NETFLUX_TEST_REQUIRE_DOCKER") == "1":
        pytest.fail(f"NETFLUX_TEST_REQUIRE_DOCKER=1 but Testcontainers cannot run: {reason}")
    print(f"\n[netflux] Testcontainers unavailable ({reason}); using embedded PostgreSQL")


def _embedded() -> Iterator[PostgresServer]:
    root = Path(tempfile.mkdtemp(prefix="netflux-test-pg-"))
    root.chmod(0o755)  # the unprivileged server user must reach the data folder
    pg = EmbeddedPostgres(root / "data", free_port(), throwaway=True)
    try:
        pg.init()
        pg.start()
        yield PostgresServer("embedded", "127.0.0.1", pg.port, SUPERUSER, SUPERUSER_PASSWORD)
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    init_sql = _init_sql(request.config)
    if url := os.environ.get("TEST_DATABASE_URL"):
        servers: Iterator[PostgresServer] = iter([_from_url(url)])
    else:
        servers = _start_container(init_sql) or _embedded()
    server = next(servers)
    request.config.stash[_backend_key] = server.kind

    async def prepare() -> None:
        await wait_until_accepting(server.url("postgres"), within=90)
        await ensure_database(server.url("postgres"), TEMPLATE_DB, init_sql.read_text())

    # A thread of its own: the first test asking for the server may already run an event loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, prepare()).result()
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        where = f"{server.host}:{server.port}"
        reporter.write_line(f"[netflux] test database: {server.kind} on {where}")
    yield server
    next(servers, None)  # runs the generator's clean-up


@asynccontextmanager
async def fresh_database(server: PostgresServer) -> AsyncIterator[TestDatabase]:
    """A new database cloned from the init.sql template; dropped on exit."""
    name = f"netflux_test_{os.getpid()}_{next(_counter)}"
    admin = await asyncpg.connect(server.url("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    finally:
        await admin.close()
    try:
        yield TestDatabase(server, name)
    finally:
        admin = await asyncpg.connect(server.url("postgres"))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def netflux_db(postgres_server: PostgresServer) -> AsyncIterator[TestDatabase]:
    """A fresh database built by init.sql, dropped after the test."""
    async with fresh_database(postgres_server) as db:
        yield db


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if kind := config.stash.get(_backend_key, None):
        terminalreporter.write_line(f"[netflux] tests ran on PostgreSQL via {kind}")
