"""HTTP client for movie-service: one pooled AsyncClient per process, every call bounded in time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Request
from pydantic import TypeAdapter, ValidationError

from customer_service.config import Settings
from customer_service.exceptions import MovieServiceBadResponse, MovieServiceUnavailable
from netflux_common.contracts import Genre, MovieDto

log = logging.getLogger(__name__)

_movies = TypeAdapter(list[MovieDto])


class MovieClient:
    def __init__(self, http: httpx.AsyncClient, total_timeout: float) -> None:
        self._http = http
        self._total_timeout = total_timeout

    async def movies_by_genre(self, genre: Genre) -> list[MovieDto]:
        path = f"/api/movies/{genre.value}"
        try:
            async with asyncio.timeout(self._total_timeout):
                response = await self._http.get(path)
        except (TimeoutError, httpx.TimeoutException) as exc:
            log.warning("movie-service timed out on %s: %r", path, exc)
            raise MovieServiceUnavailable("movie-service did not answer in time") from exc
        except httpx.TransportError as exc:
            log.warning("movie-service unreachable on %s: %r", path, exc)
            raise MovieServiceUnavailable("movie-service is unreachable") from exc

        if response.status_code in (502, 503, 504):
            raise MovieServiceUnavailable(
                f"movie-service answered {response.status_code} (temporarily unavailable)"
            )
        if response.status_code != 200:
            raise MovieServiceBadResponse(f"movie-service answered {response.status_code}")
        try:
            return _movies.validate_json(response.content)
        except ValidationError as exc:
            log.warning("movie-service sent an invalid body for %s: %s", path, exc)
            raise MovieServiceBadResponse("movie-service sent an invalid answer") from exc


@asynccontextmanager
async def movie_client_lifespan(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """Open the pooled client at start-up and close it on shutdown."""
    timeout = httpx.Timeout(
        connect=settings.movie_service_connect_timeout,
        read=settings.movie_service_read_timeout,
        write=settings.movie_service_read_timeout,
        pool=settings.movie_service_connect_timeout,
    )
    limits = httpx.Limits(max_connections=settings.movie_service_max_connections)
    async with httpx.AsyncClient(
        base_url=str(settings.movie_service_url),
        timeout=timeout,
        limits=limits,
        headers={"Accept": "application/json", "User-Agent": "netflux-customer-service"},
    ) as http:
        app.state.movie_client = MovieClient(http, settings.movie_service_total_timeout)
        yield


def get_movie_client(request: Request) -> MovieClient:
    client: MovieClient = request.app.state.movie_client
    return client


MovieClientDep = Annotated[MovieClient, Depends(get_movie_client)]
