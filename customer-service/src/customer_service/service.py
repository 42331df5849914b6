"""Queries on customers; no HTTP here."""

from __future__ import annotations

from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from customer_service.exceptions import CustomerNotFound
from customer_service.models import Customer
from netflux_common.contracts import Genre


async def get_customer(session: AsyncSession, customer_id: int) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    # End the read transaction now: the caller goes on to a slow HTTP call and must not hold a
    # pooled connection meanwhile.
    await session.commit()
    return customer


async def update_favorite_genre(session: AsyncSession, customer_id: int, genre: Genre) -> None:
    result = await session.exec(
        update(Customer)
        .where(col(Customer.id) == customer_id)
        .values(favorite_genre=genre)
        .returning(col(Customer.id))
    )
    if result.first() is None:
        raise CustomerNotFound(customer_id)
    await session.commit()
