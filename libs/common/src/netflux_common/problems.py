"""RFC 9457 problem details: the one place that turns any failure into application/problem+json.

Hand-written rather than `fastapi-problem`: that library derives `type` from class names, leaves
out `instance` and keeps FastAPI's 422 for validation errors; bending it to this contract (400,
`instance`, `Allow` on 405, database outages as 503) takes more code than these handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Problem types are URNs: stable identifiers that docs/problems.md explains.
PROBLEM_TYPE_PREFIX = "urn:netflux:problem:"

log = logging.getLogger(__name__)


class Problem(BaseModel):
    """The problem details document (RFC 9457 section 3); extension members are allowed."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str


class ProblemError(Exception):
    """Raise a subclass to answer with a problem. `slug` names the type; None means about:blank."""

    status: ClassVar[int] = HTTPStatus.INTERNAL_SERVER_ERROR
    title: ClassVar[str] = "Internal Server Error"
    slug: ClassVar[str | None] = None

    def __init__(
        self,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = extensions


class DatabaseUnavailable(ProblemError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
    title = "Database Unavailable"
    slug = "database-unavailable"


def problem_response(
    request: Request | Scope,
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    path = request.url.path if isinstance(request, Request) else str(request.get("path", ""))
    body = Problem(
        type=PROBLEM_TYPE_PREFIX + slug if slug else "about:blank",
        title=title,
        status=status,
        detail=detail,
        instance=path,
        **dict(extensions or {}),
    )
    return JSONResponse(
        body.model_dump(),
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _http_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _field_name(loc: Sequence[int | str]) -> str:
    # FastAPI prefixes the location with where the value came from (body, path, query, header).
    parts = [str(p) for p in loc[1:]] if len(loc) > 1 else [str(p) for p in loc]
    return ".".join(parts)


def _describe(error: Mapping[str, Any]) -> str:
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":
        return "Request body is not valid JSON"
    if error.get("type") == "missing" and loc == ("body",):
        return "Request body is required"
    return f"{_field_name(loc)}: {error.get('msg', 'invalid value')}"


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        exc.status,
        exc.title,
        exc.detail,
        slug=exc.slug,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    phrase = _http_phrase(exc.status_code)
    default_details = {
        404: f"No resource at {request.url.path}",
        405: f"Method {request.method} is not allowed on {request.url.path}",
    }
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    return problem_response(
        request,
        exc.status_code,
        phrase,
        detail or default_details.get(exc.status_code, phrase),
        headers=exc.headers,
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    messages = [_describe(e) for e in errors]
    return problem_response(
        request,
        HTTPStatus.BAD_REQUEST,
        "Bad Request",
        "; ".join(messages) or "Invalid request",
        extensions={
            "errors": [
                {"field": _field_name(tuple(e.get("loc", ()))), "message": m}
                for e, m in zip(errors, messages, strict=True)
            ]
        },
    )


async def _on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, sa_exc.DBAPIError) and not _is_connection_failure(exc):
        return await _on_unexpected(request, exc)
    log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    problem = DatabaseUnavailable(
        "The database is unavailable; try again shortly", headers={"Retry-After": "5"}
    )
    return await _on_problem(request, problem)


def _is_connection_failure(exc: sa_exc.DBAPIError) -> bool:
    return (
        exc.connection_invalidated
        or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
        or isinstance(exc.orig, OSError | asyncpg.PostgresConnectionError)
        or isinstance(
            getattr(exc.orig, "__cause__", None), OSError | asyncpg.PostgresConnectionError
        )
    )


async def _on_unexpected(request: Request | Scope, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    return problem_response(
        request,
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "Internal Server Error",
        "An unexpected error occurred; it has been logged",
    )


class UnhandledErrorMiddleware:
    """Answers a problem for any exception no handler took, without leaking what it was.

    Starlette's own 500 handler re-raises after responding, which logs every failure twice.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = await _on_unexpected(scope, exc)
            await response(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    for db_failure in (
        sa_exc.DBAPIError,
        sa_exc.TimeoutError,  # pool exhausted
        asyncpg.PostgresConnectionError,
        OSError,  # connect refused / timed out below SQLAlchemy's wrapping
    ):
        app.add_exception_handler(db_failure, _on_database_unavailable)
    app.add_middleware(UnhandledErrorMiddleware)
    _document_problem_schema(app)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem answers for the given status codes."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {
            "description": _http_phrase(status),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
        }
        for status in statuses
    }


def _document_problem_schema(app: FastAPI) -> None:
    """Put the Problem schema into the OpenAPI components that `problem_responses` refer to."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        spec = build()  # FastAPI caches it; adding the schema again is harmless
        spec.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
            Problem.model_json_schema()
        )
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
