"""Application factory and entry point of customer-service."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from customer_service.config import SERVICE, Settings, get_settings
from customer_service.movie_client import movie_client_lifespan
from customer_service.router import router
from netflux_common.app import create_service_app, serve


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_service_app(
        name=SERVICE.name,
        description="Netflux customers, with recommendations from movie-service.",
        settings=settings,
        routers=[router],
        lifespan_hook=partial(movie_client_lifespan, settings=settings),
    )


def run() -> None:
    settings = get_settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    run()
