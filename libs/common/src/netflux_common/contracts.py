"""The movie contract: what movie-service serves and customer-service consumes over HTTP.

Kept here once so the producer and the consumer cannot drift apart.
"""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Genre(StrEnum):
    """Genres are canonically upper case; input is accepted in any ASCII case (`drama` is DRAMA)."""

    ACTION = "ACTION"
    COMEDY = "COMEDY"
    CRIME = "CRIME"
    DRAMA = "DRAMA"

    @classmethod
    def _missing_(cls, value: object) -> Genre | None:
        # ASCII only: `str.upper()` maps the dotless i (U+0131) of "act\u0131on" to I; and nothing
        # is stripped:
        # " DRAMA" or "DRAMA\n" is not a genre.
        if isinstance(value, str) and value.isascii():
            return cls.__members__.get(value.upper())
        return None


class CamelModel(BaseModel):
    """JSON uses camelCase (`releaseYear`); Python uses snake_case."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class MovieDto(CamelModel):
    id: int
    title: str
    release_year: int
    genre: Genre


# Stored as VARCHAR (init.sql checks the values), not as a PostgreSQL enum type: adding a genre then
# needs no type migration.
GenreColumn = sa.Enum(Genre, native_enum=False, length=16, validate_strings=True)
