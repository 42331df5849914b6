"""RFC 9457 problem details: the one place that turns any failure into application/problem+json.

Hand-written rather than `fastapi-problem`: that library derives `type` from class names, leaves
out `instance` and keeps FastAPI's 422 for validation errors; bending it to this contract (400,
`instance`, `Allow` on 405) takes more code than these handlers. What counts as a database outage
is decided where the database is used (netflux_common.db raises `DatabaseUnavailable`), not here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netflux_catalogue.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_PREFIX, problem_body
from netflux_common import request_id

__all__ = ["PROBLEM_MEDIA_TYPE", "PROBLEM_TYPE_PREFIX", "Problem", "ProblemError"]

log = logging.getLogger(__name__)


class Problem(BaseModel):
    """The problem document's schema in OpenAPI (RFC 9457 section 3); bodies come from
    `problem_body`, so this model only documents them."""

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
    scope = request.scope if isinstance(request, Request) else request
    # The path as the client sent it, percent-encoding intact: `instance` must be a valid URI
    # reference, which the decoded path (`/api/customers/1\n`) is not.
    # (httpx's test transport leaves the query in raw_path; servers do not.)
    raw_path = scope.get("raw_path", b"").split(b"?", 1)[0]
    path = raw_path.decode("ascii", "replace") if raw_path else quote(str(scope.get("path", "")))
    extra = dict(extensions or {})
    # An extension member (RFC 9457 section 3.2): quoting it finds the request's log lines.
    if (rid := request_id.current()) is not None:
        extra["requestId"] = rid
    body = problem_body(status, title, detail, path, slug=slug, **extra)
    return JSONResponse(
        body,
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _http_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _field_name(loc: Sequence[int | str], kind: str = "") -> str:
    if kind == "json_invalid":  # its location is a character offset, not a field
        return "body"
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


def bad_request(request: Request | Scope, errors: Sequence[tuple[str, str]]) -> JSONResponse:
    """The 400 problem for invalid input: `errors` lists (field, message) pairs; every kind of
    bad input (a path, a query, a body that is not even JSON) answers in this one shape."""
    return problem_response(
        request,
        HTTPStatus.BAD_REQUEST,
        "Bad Request",
        "; ".join(message for _, message in errors) or "Invalid request",
        extensions={"errors": [{"field": f, "message": m} for f, m in errors]},
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return bad_request(
        request,
        [
            (_field_name(tuple(e.get("loc", ())), e.get("type", "")), _describe(e))
            for e in exc.errors()
        ],
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
        spec = build()  # FastAPI caches it; doing this again is harmless
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = Problem.model_json_schema()
        # Validation failures are 400 problems here, never FastAPI's 422: document what is sent.
        for operation in (op for path in spec.get("paths", {}).values() for op in path.values()):
            responses = operation.get("responses", {})
            if responses.pop("422", None) is not None:
                responses.setdefault("400", problem_responses(400)[400])
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
