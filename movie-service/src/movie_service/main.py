"""Application factory and entry point of movie-service."""

from __future__ import annotations

from fastapi import FastAPI

from movie_service.config import SERVICE, Settings, get_settings
from movie_service.router import router
from netflux_common.app import create_service_app, serve


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        name=SERVICE.name,
        description="Netflux movie catalogue: all movies, or the movies of one genre.",
        settings=settings or get_settings(),
        routers=[router],
    )


def run() -> None:
    settings = get_settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    run()
