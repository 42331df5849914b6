"""Smoke test of a running Netflux over real HTTP (compose stack, `make run`, or a deployment).

    python -m netflux_devstack.smoke [--movie URL] [--customer URL]

Exits non-zero with a message at the first check that fails. It PATCHes customer 3 and restores
the genre afterwards.
"""

from __future__ import annotations

import argparse
import sys

import httpx

from netflux_catalogue import HEALTH_PATH, by_name
from netflux_devstack.polling import NotReady, wait_until


class SmokeFailure(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)
    print(f"  ok  {message}")


def wait_ready(http: httpx.Client, url: str, timeout: float) -> None:
    def answers() -> bool:
        try:
            return http.get(url).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, timeout=timeout, what=url, interval=0.5)
    except NotReady as exc:
        raise SmokeFailure(str(exc)) from exc


def run(movie: str, customer: str, timeout: float = 60, health: bool = True) -> None:
    with httpx.Client(timeout=10) as http:
        # An edge exposes the APIs, not the services' actuator endpoints.
        wait_ready(http, movie + (HEALTH_PATH if health else "/api/movies"), timeout)
        wait_ready(http, customer + (HEALTH_PATH if health else "/api/customers/1"), timeout)

        movies = http.get(f"{movie}/api/movies")
        check(movies.status_code == 200 and len(movies.json()) >= 20, "movie list has 20+ movies")
        first = movies.json()[0]
        check(set(first) == {"id", "title", "releaseYear", "genre"}, "MovieDto is camelCase")

        original = http.get(f"{customer}/api/customers/3").json()
        genre = original["favoriteGenre"]
        expected = http.get(f"{movie}/api/movies/{genre}").json()
        check(
            original["recommendedMovies"] == expected and len(expected) > 0,
            f"customer 3 is recommended movie-service's {genre} movies",
        )

        new_genre = "COMEDY" if genre != "COMEDY" else "ACTION"
        patched = http.patch(f"{customer}/api/customers/3/genre", json={"favoriteGenre": new_genre})
        check(patched.status_code == 204, f"PATCH genre to {new_genre} answers 204")
        after = http.get(f"{customer}/api/customers/3").json()
        check(
            after["favoriteGenre"] == new_genre
            and after["recommendedMovies"] == http.get(f"{movie}/api/movies/{new_genre}").json(),
            "the next GET shows the new genre and its movies",
        )
        http.patch(f"{customer}/api/customers/3/genre", json={"favoriteGenre": genre})

        missing = http.get(f"{customer}/api/customers/99999")
        check(
            missing.status_code == 404
            and missing.headers["content-type"] == "application/problem+json"
            and missing.json()["title"] == "Customer Not Found",
            "unknown customer is a 404 problem",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--movie", default=by_name("movie-service").local_url())
    parser.add_argument("--customer", default=by_name("customer-service").local_url())
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--no-health", action="store_true", help=f"skip {HEALTH_PATH} waits")
    args = parser.parse_args()
    print(f"smoke test: movie-service {args.movie}, customer-service {args.customer}")
    try:
        run(args.movie.rstrip("/"), args.customer.rstrip("/"), args.timeout, not args.no_health)
    except SmokeFailure as exc:
        print(f"FAIL {exc}", file=sys.stderr)
        sys.exit(1)
    print("smoke test passed")


if __name__ == "__main__":
    main()
