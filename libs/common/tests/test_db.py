"""What counts as a database outage (503, retry) and what is a plain error (500)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import asyncpg
import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import exc as sa_exc

from netflux_common.db import SessionDep, is_outage


def dbapi(kind: type[sa_exc.DBAPIError], orig: BaseException) -> sa_exc.DBAPIError:
    return kind("SELECT 1", None, orig)


@pytest.mark.parametrize(
    ("exc", "outage"),
    [
        # Not raised by the database layer (no traceback through it): not an outage.
        (ConnectionRefusedError(111, "refused"), False),
        (TimeoutError(), False),
        (sa_exc.TimeoutError("QueuePool limit reached"), True),
        (dbapi(sa_exc.InterfaceError, Exception("connection is closed")), True),
        (dbapi(sa_exc.DBAPIError, asyncpg.ConnectionDoesNotExistError("gone")), True),
        (dbapi(sa_exc.DBAPIError, asyncpg.CannotConnectNowError("starting up")), True),
        (dbapi(sa_exc.DBAPIError, asyncpg.AdminShutdownError("terminating connection")), True),
        (dbapi(sa_exc.ProgrammingError, asyncpg.UndefinedTableError("no table")), False),
        (dbapi(sa_exc.IntegrityError, asyncpg.UniqueViolationError("duplicate")), False),
        (ValueError("not the database"), False),
    ],
)
def test_outage_or_error(exc: BaseException, outage: bool) -> None:
    assert is_outage(exc) is outage


router = APIRouter()


@router.get("/query")
async def query(session: SessionDep) -> int:
    connection = await session.connection()
    return int((await connection.exec_driver_sql("SELECT 1")).scalar_one())


@router.get("/file")
async def missing_file(session: SessionDep) -> None:
    # An OSError that has nothing to do with the database is a bug, not an outage, even in a
    # route holding a session (whose dependency sees every exception of the route).
    open("/nonexistent/netflux").close()  # noqa: ASYNC230


@pytest.fixture
async def client(
    client_for: Callable[[APIRouter], AbstractAsyncContextManager[httpx.AsyncClient]],
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(router) as client:
        yield client


async def test_unreachable_database_is_a_503_problem_with_retry_after(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/query")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    assert response.json()["type"] == "urn:netflux:problem:database-unavailable"


async def test_other_os_errors_are_not_reported_as_database_outages(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/file")

    assert response.status_code == 500
    assert response.json()["title"] == "Internal Server Error"
