"""Queries on customers; no HTTP here.

Each is a single statement on a connection in autocommit mode: one round trip, no BEGIN/COMMIT
around it, rows rather than ORM objects. A PATCH has committed before its 204 is sent, and every
read goes to the same primary, so a customer's next GET sees their own change (read-your-writes).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import col, select, update

from customer_service.exceptions import CustomerNotFound
from customer_service.models import Customer
from netflux_common.contracts import Genre
from netflux_common.db import connection


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: int
    name: str
    favorite_genre: Genre


async def _autocommit(conn: AsyncConnection) -> AsyncConnection:
    return await conn.execution_options(isolation_level="AUTOCOMMIT")


async def get_customer(engine: AsyncEngine, customer_id: int) -> CustomerRecord:
    query = select(col(Customer.id), col(Customer.name), col(Customer.favorite_genre)).where(
        col(Customer.id) == customer_id
    )
    # The connection goes back to the pool before the caller's HTTP call to movie-service.
    async with connection(engine) as conn:
        row = (await (await _autocommit(conn)).execute(query)).first()
    if row is None:
        raise CustomerNotFound(customer_id)
    return CustomerRecord(row[0], row[1], row[2])


async def update_favorite_genre(engine: AsyncEngine, customer_id: int, genre: Genre) -> None:
    statement = (
        update(Customer)
        .where(col(Customer.id) == customer_id)
        .values(favorite_genre=genre)
        .returning(col(Customer.id))
    )
    async with connection(engine) as conn:
        updated = (await (await _autocommit(conn)).execute(statement)).first()
    if updated is None:
        raise CustomerNotFound(customer_id)
