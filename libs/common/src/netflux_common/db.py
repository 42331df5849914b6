"""The async engine and the per-request session: one pool per process, one session per request.

This module also decides what a database outage is: a failure to reach or keep a connection
(refused, timed out, dropped, pool exhausted) becomes the `DatabaseUnavailable` problem (503 with
Retry-After). Any other database error (a bad query, a constraint) stays an error and is a 500.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from netflux_common.problems import ProblemError
from netflux_common.settings import ServiceSettings

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(ProblemError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
    title = "Database Unavailable"
    slug = "database-unavailable"

    def __init__(self) -> None:
        super().__init__(
            "The database is unavailable; try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


# A server shutting down, crashed or still starting (SQLSTATE 57P01-57P03), or full: seen on
# every restart, and over by itself.
_SERVER_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)
_NETWORK_FAILURES = (OSError, TimeoutError)
_DATABASE_PACKAGES = ("sqlalchemy", "asyncpg")


def _raised_by_database(exc: BaseException) -> bool:
    """Whether the traceback passes through the database driver or SQLAlchemy: a refused
    connect surfaces as a bare ConnectionRefusedError, but so does any other socket's."""
    tb = exc.__traceback__
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.split(".", 1)[0] in _DATABASE_PACKAGES:
            return True
        tb = tb.tb_next
    return False


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be reached, rather than that a statement failed
    (or that something other than the database failed)."""
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        causes = (exc.orig, getattr(exc.orig, "__cause__", None))
        return (
            exc.connection_invalidated
            or isinstance(exc, sa_exc.InterfaceError)
            or any(isinstance(c, _SERVER_UNAVAILABLE + _NETWORK_FAILURES) for c in causes)
        )
    if isinstance(exc, _SERVER_UNAVAILABLE):
        return True
    return isinstance(exc, _NETWORK_FAILURES) and _raised_by_database(exc)


@asynccontextmanager
async def outages_as_problems(what: str = "database") -> AsyncIterator[None]:
    """Wrap database work: an outage inside leaves as `DatabaseUnavailable`, the rest unchanged."""
    try:
        yield
    except Exception as exc:
        if not is_outage(exc):
            raise
        log.warning("%s unavailable: %r", what, exc)
        raise DatabaseUnavailable() from exc


@asynccontextmanager
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A pooled connection for one unit of work; an outage meanwhile is `DatabaseUnavailable`."""
    async with outages_as_problems(), engine.connect() as conn:
        yield conn


class Database:
    def __init__(
        self, settings: ServiceSettings, *, application_name: str, url: URL | None = None
    ) -> None:
        """A pool on `url` (a read replica, say), else on the settings' database."""
        self.health_timeout = settings.db_health_timeout
        self.engine: AsyncEngine = create_async_engine(
            url or settings.sqlalchemy_url(),
            # The same ceiling, all of it kept: QueuePool closes an overflow connection as soon as
            # it is returned, so under steady load above pool_size nearly every request paid for
            # a new connection (TLS negotiation, a backend process).
            pool_size=settings.db_pool_size + settings.db_max_overflow,
            max_overflow=0,
            pool_timeout=settings.db_pool_timeout,
            # No pre-ping: it costs a round trip on every checkout. A connection that died with
            # the database fails its request once (a 503); SQLAlchemy then invalidates the whole
            # pool, so the next checkouts connect afresh.
            pool_pre_ping=False,
            connect_args={
                "timeout": settings.db_connect_timeout,
                "command_timeout": settings.db_statement_timeout,
                "server_settings": {"application_name": application_name},
            },
        )
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    async def ping(self) -> None:
        """Raise unless the database answers `SELECT 1` within the health timeout."""
        async with asyncio.timeout(self.health_timeout), self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


async def get_database(request: Request) -> Database:
    # async: FastAPI runs a plain `def` dependency in a worker thread on every request.
    db: Database = request.app.state.database
    return db


async def get_session(
    request: Request, db: Annotated[Database, Depends(get_database)]
) -> AsyncIterator[AsyncSession]:
    # The route's own exceptions pass through here (FastAPI throws them into this generator), so
    # an outage anywhere in the request becomes one problem, decided in one place.
    what = f"database on {request.method} {request.url.path}"
    async with outages_as_problems(what), db.sessions() as session:
        yield session


DatabaseDep = Annotated[Database, Depends(get_database)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
