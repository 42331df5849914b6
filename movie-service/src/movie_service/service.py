"""Reading the catalogue: keyset pages of movies, serialized once and cached; no HTTP here."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from movie_service.cache import MovieCache, Page
from movie_service.models import Movie
from netflux_common.contracts import Genre
from netflux_common.db import connection

# The default returns the whole seed catalogue (22 movies) in one page, so clients written before
# pagination keep working unchanged; the maximum bounds what one request can cost.
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def page_query(genre: Genre | None, after: int | None, limit: int) -> Any:
    """Keyset pagination on id: an index range scan whatever the page number (movie_genre_id_idx
    for a genre, the primary key otherwise). One extra row tells whether a next page exists."""
    query = select(col(Movie.id), col(Movie.title), col(Movie.release_year), col(Movie.genre))
    if genre is not None:
        query = query.where(col(Movie.genre) == genre)
    if after is not None:
        query = query.where(col(Movie.id) > after)
    return query.order_by(col(Movie.id)).limit(limit + 1)


def build_page(rows: Sequence[Any], limit: int) -> Page:
    more = len(rows) > limit
    rows = rows[:limit]
    body = orjson.dumps(
        [{"id": r[0], "title": r[1], "releaseYear": r[2], "genre": r[3]} for r in rows]
    )
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    return Page(body=body, etag=etag, next_after=rows[-1][0] if more else None)


class Catalogue:
    def __init__(self, engine: AsyncEngine, cache: MovieCache) -> None:
        # One statement, read-only: no BEGIN/ROLLBACK around it, and rows instead of ORM objects
        # (no identity map, no per-row validation: the database's CHECKs already hold).
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.cache = cache

    async def page(self, genre: Genre | None, after: int | None, limit: int) -> Page:
        key = (genre, after, limit)
        if (cached := self.cache.get(key)) is not None:
            return cached
        generation = self.cache.generation
        async with connection(self._engine) as conn:
            rows = (await conn.execute(page_query(genre, after, limit))).all()
        page = build_page(rows, limit)
        self.cache.put(key, page, generation)
        return page
