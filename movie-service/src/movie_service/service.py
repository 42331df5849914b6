"""Queries on movies; no HTTP here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from movie_service.models import Movie
from netflux_common.contracts import Genre


async def list_movies(session: AsyncSession, genre: Genre | None = None) -> Sequence[Movie]:
    query = select(Movie).order_by(col(Movie.id))
    if genre is not None:
        query = query.where(Movie.genre == genre)
    return (await session.exec(query)).all()
