"""Both services on loopback ports: customer-service calls the real movie-service over HTTP."""

from __future__ import annotations

import httpx

from customer_service.config import Settings as CustomerSettings
from customer_service.main import create_app as create_customer_app
from movie_service.config import Settings as MovieSettings
from movie_service.main import create_app as create_movie_app
from netflux_devstack.pytest_plugin import TestDatabase
from netflux_devstack.testing import serving


async def test_customer_recommendations_come_from_movie_service(netflux_db: TestDatabase) -> None:
    movie_app = create_movie_app(MovieSettings(database_url=netflux_db.movie_url))
    async with serving(movie_app) as movie_url:
        customer_app = create_customer_app(
            CustomerSettings(database_url=netflux_db.customer_url, movie_service_url=movie_url)
        )
        async with serving(customer_app) as customer_url, httpx.AsyncClient() as http:
            drama = (await http.get(f"{movie_url}/api/movies/DRAMA")).json()
            action = (await http.get(f"{movie_url}/api/movies/ACTION")).json()

            sam = (await http.get(f"{customer_url}/api/customers/1")).json()
            patched = await http.patch(
                f"{customer_url}/api/customers/1/genre", json={"favoriteGenre": "DRAMA"}
            )
            sam_after = (await http.get(f"{customer_url}/api/customers/1")).json()

    assert sam == {"id": 1, "name": "Sam", "favoriteGenre": "ACTION", "recommendedMovies": action}
    assert {"id": 1, "title": "Inception", "releaseYear": 2010, "genre": "ACTION"} in action
    assert patched.status_code == 204
    assert sam_after["favoriteGenre"] == "DRAMA"
    assert sam_after["recommendedMovies"] == drama
    assert len(drama) >= 4
