"""A genre in the path is one of four ASCII words, in any case; nothing else is guessed at."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from movie_service.config import Settings
from movie_service.main import create_app
from netflux_devstack.testing import app_client


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # A bad genre is answered before any query: no database is needed.
    app = create_app(Settings(database_url="postgresql://u:p@127.0.0.1:1/none"))
    async with app_client(app, "http://m") as client:
        yield client


@pytest.mark.parametrize("raw", ["act%C4%B1on", "ACTION%C2%A0", "ACTION%0a", "%20DRAMA", "DRAM"])
async def test_a_genre_that_is_not_exactly_one_of_the_four_is_a_400(
    client: httpx.AsyncClient, raw: str
) -> None:
    response = await client.get(f"/api/movies/{raw}")

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["instance"] == f"/api/movies/{raw}"
    assert [e["field"] for e in response.json()["errors"]] == ["genre"]


@pytest.mark.parametrize("query", ["limit=1_0", "limit=+5", "limit=05", "after=01", "after=%201"])
async def test_paging_parameters_are_plain_digits_too(
    client: httpx.AsyncClient, query: str
) -> None:
    response = await client.get(f"/api/movies?{query}")

    assert response.status_code == 400, response.text
    assert [e["field"] for e in response.json()["errors"]] == [query.split("=")[0]]
