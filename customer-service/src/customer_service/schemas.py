"""Request and response shapes of customer-service (camelCase JSON)."""

from __future__ import annotations

from netflux_common.contracts import CamelModel, Genre, MovieDto


class CustomerDto(CamelModel):
    id: int
    name: str
    favorite_genre: Genre
    recommended_movies: list[MovieDto]


class GenreUpdate(CamelModel):
    favorite_genre: Genre
