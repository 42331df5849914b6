"""The customer table, owned by the `customer` schema (created by init.sql)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from netflux_common.contracts import Genre, GenreColumn


class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    __table_args__ = {"schema": "customer"}

    id: int = Field(primary_key=True)
    name: str
    favorite_genre: Genre = Field(sa_type=GenreColumn)
