"""Input is parsed strictly: one spelling per id and genre, and every malformed body is the same
400 problem with an `errors` list (a careless client learns what was wrong, nothing is guessed)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from customer_service.config import Settings
from customer_service.main import create_app
from netflux_devstack.testing import app_client


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # Validation answers before any query: no database is needed for these.
    app = create_app(Settings(database_url="postgresql://u:p@127.0.0.1:1/none"))
    async with app_client(app, "http://c") as client:
        yield client


def assert_bad_request(response: httpx.Response, field: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    assert problem["instance"] == response.request.url.raw_path.decode().split("?")[0]


@pytest.mark.parametrize("raw", ["1_0", "+1", "01", "1.0", "%201", "1%0a", "%D9%A1", "0", "-1"])
async def test_a_customer_id_is_plain_ascii_digits(client: httpx.AsyncClient, raw: str) -> None:
    response = await client.get(f"/api/customers/{raw}")

    assert_bad_request(response, "customer_id")


async def test_instance_is_the_percent_encoded_path(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/customers/1%0a")

    assert response.json()["instance"] == "/api/customers/1%0a"


@pytest.mark.parametrize(
    "genre", ["act\u0131on", "ACTION\u00a0", "ACTION\n", " DRAMA", "DRAMA ", "\uff24RAMA"]
)
async def test_a_genre_is_one_of_four_ascii_words(client: httpx.AsyncClient, genre: str) -> None:
    response = await client.patch("/api/customers/1/genre", json={"favoriteGenre": genre})

    assert_bad_request(response, "favoriteGenre")


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe{}",  # not UTF-8
        b'{"favoriteGenre": "DRA',  # cut short
        b"[" * 4000 + b"]" * 4000,  # nested deeper than any parser recursion
        b'{"favoriteGenre": 1' + b"0" * 5000 + b"}",  # a number too long to convert
    ],
)
async def test_a_body_that_is_not_json_is_the_same_400(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.patch(
        "/api/customers/1/genre", content=body, headers={"content-type": "application/json"}
    )

    assert_bad_request(response, "body")
    assert response.json()["errors"][0]["message"] == "Request body is not valid JSON"


async def test_a_patch_that_is_not_json_is_415(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        "/api/customers/1/genre",
        content=b"favoriteGenre=DRAMA",
        headers={"content-type": "text/plain"},
    )

    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
