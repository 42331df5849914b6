"""The application factory both services build on: logging, database, problems, health."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

import uvicorn
from fastapi import APIRouter, FastAPI

from netflux_catalogue.edge import SERVICE_KEEP_ALIVE_SECONDS
from netflux_common import health
from netflux_common.db import Database
from netflux_common.logging import configure_logging
from netflux_common.problems import install_problem_handlers
from netflux_common.protocol import ProtocolGuard
from netflux_common.settings import ServiceSettings

LifespanHook = Callable[[FastAPI], AbstractAsyncContextManager[object]]


def create_service_app(
    *,
    name: str,
    description: str,
    settings: ServiceSettings,
    routers: Iterable[APIRouter],
    lifespan_hook: LifespanHook | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings, application_name=name)
        app.state.database = database
        try:
            async with lifespan_hook(app) if lifespan_hook else nullcontext():
                yield
        finally:
            await database.dispose()

    configure_logging(settings.log_level)
    app = FastAPI(
        title=name,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        # A redirect would be built from the Host header a client sends; answer the path as is.
        redirect_slashes=False,
    )
    app.state.settings = settings
    install_problem_handlers(app)
    app.add_middleware(
        ProtocolGuard,
        max_body_bytes=settings.max_body_bytes,
        max_header_bytes=settings.max_header_bytes,
    )
    app.include_router(health.router)
    for router in routers:
        app.include_router(router)
    return app


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run with uvicorn; on SIGTERM (what ECS sends) it drains in-flight requests, then exits."""
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep the format configure_logging set
        # A log line per request costs ~8 % of a request's CPU; the ALB and CloudFront keep
        # access logs already. LOG_LEVEL=DEBUG brings them back.
        access_log=settings.log_level.upper() == "DEBUG",
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        # Longer than the ALB's idle timeout: the load balancer, not the service, closes idle
        # connections (else the ALB may reuse one the service is closing: a 502).
        timeout_keep_alive=SERVICE_KEEP_ALIVE_SECONDS,
    )
