from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

MoviesOf = Callable[[str], list[dict[str, object]]]


def assert_problem(
    response: httpx.Response, status: int, title: str, instance: str
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["title"] == title
    assert problem["instance"] == instance
    assert problem["detail"]
    assert problem["type"]
    return problem


async def test_customer_comes_with_the_movies_of_their_favourite_genre(
    client: httpx.AsyncClient, movies_of: MoviesOf
) -> None:
    response = await client.get("/api/customers/1")

    assert response.status_code == 200
    assert response.json() == {
        "id": 1,
        "name": "Sam",
        "favoriteGenre": "ACTION",
        "recommendedMovies": movies_of("ACTION"),
    }


@pytest.mark.parametrize(("customer_id", "genre"), [(2, "CRIME"), (3, "DRAMA"), (4, "COMEDY")])
async def test_each_seeded_customer_gets_their_own_genre(
    client: httpx.AsyncClient, movies_of: MoviesOf, customer_id: int, genre: str
) -> None:
    body = (await client.get(f"/api/customers/{customer_id}")).json()

    assert body["favoriteGenre"] == genre
    assert body["recommendedMovies"] == movies_of(genre)


async def test_patch_changes_the_genre_and_the_recommendations(
    client: httpx.AsyncClient, movies_of: MoviesOf
) -> None:
    response = await client.patch("/api/customers/1/genre", json={"favoriteGenre": "DRAMA"})

    assert response.status_code == 204
    assert response.content == b""
    body = (await client.get("/api/customers/1")).json()
    assert body["favoriteGenre"] == "DRAMA"
    assert body["recommendedMovies"] == movies_of("DRAMA")


async def test_patch_accepts_a_lower_case_genre(client: httpx.AsyncClient) -> None:
    response = await client.patch("/api/customers/2/genre", json={"favoriteGenre": "comedy"})

    assert response.status_code == 204
    assert (await client.get("/api/customers/2")).json()["favoriteGenre"] == "COMEDY"


async def test_unknown_customer_is_a_404_problem(client: httpx.AsyncClient) -> None:
    problem = assert_problem(
        await client.get("/api/customers/999"), 404, "Customer Not Found", "/api/customers/999"
    )
    assert "999" in problem["detail"]


async def test_patching_an_unknown_customer_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.patch("/api/customers/999/genre", json={"favoriteGenre": "DRAMA"})

    assert_problem(response, 404, "Customer Not Found", "/api/customers/999/genre")


@pytest.mark.parametrize("bad_id", ["abc", "1.5", "0", "-3", "2147483648", "99999999999999999999"])
async def test_a_bad_customer_id_is_a_400_problem(client: httpx.AsyncClient, bad_id: str) -> None:
    problem = assert_problem(
        await client.get(f"/api/customers/{bad_id}"), 400, "Bad Request", f"/api/customers/{bad_id}"
    )
    assert "customer_id" in problem["detail"]


@pytest.mark.parametrize(
    ("body", "expected_in_detail"),
    [
        ({"favoriteGenre": "HORROR"}, "'ACTION', 'COMEDY', 'CRIME' or 'DRAMA'"),
        ({"favoriteGenre": None}, "favoriteGenre"),
        ({"favoriteGenre": 3}, "favoriteGenre"),
        ({}, "favoriteGenre: Field required"),
        ([], "valid dictionary"),
    ],
)
async def test_a_bad_genre_update_is_a_400_problem_and_changes_nothing(
    client: httpx.AsyncClient, body: object, expected_in_detail: str
) -> None:
    response = await client.patch("/api/customers/1/genre", json=body)

    problem = assert_problem(response, 400, "Bad Request", "/api/customers/1/genre")
    assert expected_in_detail in problem["detail"]
    assert problem["errors"]
    assert (await client.get("/api/customers/1")).json()["favoriteGenre"] == "ACTION"


async def test_malformed_json_is_a_400_problem(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        "/api/customers/1/genre",
        content=b'{"favoriteGenre": ',
        headers={"content-type": "application/json"},
    )

    problem = assert_problem(response, 400, "Bad Request", "/api/customers/1/genre")
    assert "not valid JSON" in problem["detail"]


async def test_a_missing_body_is_a_400_problem(client: httpx.AsyncClient) -> None:
    response = await client.patch("/api/customers/1/genre")

    problem = assert_problem(response, 400, "Bad Request", "/api/customers/1/genre")
    assert problem["detail"] == "Request body is required"


async def test_wrong_method_is_a_405_problem_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/customers/1")

    assert_problem(response, 405, "Method Not Allowed", "/api/customers/1")
    assert response.headers["allow"] == "GET"


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/nothing-here"), 404, "Not Found", "/api/nothing-here")
