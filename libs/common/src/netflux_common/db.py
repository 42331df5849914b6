"""The async engine and the per-request session: one pool per process, one session per request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from netflux_common.settings import ServiceSettings


class Database:
    def __init__(self, settings: ServiceSettings, *, application_name: str) -> None:
        self.health_timeout = settings.db_health_timeout
        self.engine: AsyncEngine = create_async_engine(
            settings.sqlalchemy_url(),
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
    db: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[AsyncSession]:
    async with db.sessions() as session:
        yield session


DatabaseDep = Annotated[Database, Depends(get_database)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
