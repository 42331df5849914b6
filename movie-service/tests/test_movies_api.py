from __future__ import annotations

import asyncpg
import httpx
import pytest

from netflux_devstack.pytest_plugin import TestDatabase

GENRES = ["ACTION", "COMEDY", "CRIME", "DRAMA"]


async def test_lists_every_movie_in_id_order_with_camel_case_fields(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/movies")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    movies = response.json()
    assert len(movies) >= 20
    assert movies[0] == {"id": 1, "title": "Inception", "releaseYear": 2010, "genre": "ACTION"}
    assert [m["id"] for m in movies] == sorted(m["id"] for m in movies)
    assert {m["genre"] for m in movies} == set(GENRES)
    assert all(set(m) == {"id", "title", "releaseYear", "genre"} for m in movies)


@pytest.mark.parametrize("genre", GENRES)
async def test_lists_only_the_movies_of_a_genre(client: httpx.AsyncClient, genre: str) -> None:
    everything = (await client.get("/api/movies")).json()

    response = await client.get(f"/api/movies/{genre}")

    assert response.status_code == 200
    assert response.json() == [m for m in everything if m["genre"] == genre]
    assert response.json()


async def test_genre_is_matched_case_insensitively(client: httpx.AsyncClient) -> None:
    upper = (await client.get("/api/movies/CRIME")).json()

    assert (await client.get("/api/movies/crime")).json() == upper
    assert (await client.get("/api/movies/Crime")).json() == upper


async def test_unknown_genre_is_a_400_problem_listing_the_allowed_values(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/movies/HORROR")

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Bad Request"
    assert problem["status"] == 400
    assert problem["instance"] == "/api/movies/HORROR"
    for genre in GENRES:
        assert genre in problem["detail"]


async def test_movies_added_to_the_database_are_served(
    client: httpx.AsyncClient, netflux_db: TestDatabase
) -> None:
    conn = await asyncpg.connect(netflux_db.movie_url)
    try:
        new_id = await conn.fetchval(
            "INSERT INTO movie (title, release_year, genre) VALUES ($1, $2, $3) RETURNING id",
            "Knives Out",
            2019,
            "CRIME",
        )
    finally:
        await conn.close()

    crime = (await client.get("/api/movies/CRIME")).json()

    assert crime[-1] == {"id": new_id, "title": "Knives Out", "releaseYear": 2019, "genre": "CRIME"}


async def test_an_empty_genre_is_an_empty_list(
    client: httpx.AsyncClient, netflux_db: TestDatabase
) -> None:
    conn = await asyncpg.connect(netflux_db.movie_url)
    try:
        await conn.execute("DELETE FROM movie WHERE genre = 'COMEDY'")
    finally:
        await conn.close()

    response = await client.get("/api/movies/COMEDY")

    assert response.status_code == 200
    assert response.json() == []
