"""The movie table, owned by the `movie` schema (created by init.sql)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from netflux_common.contracts import Genre, GenreColumn


class Movie(SQLModel, table=True):
    __tablename__ = "movie"
    __table_args__ = {"schema": "movie"}

    id: int = Field(primary_key=True)
    title: str
    release_year: int
    genre: Genre = Field(sa_type=GenreColumn)
