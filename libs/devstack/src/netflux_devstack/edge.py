"""The local edge of `make run`: what CloudFront + ALB do in AWS, on one local port.

`/api/...` goes to a service by the catalogue's routing table (the same table the ALB listener
rules, the CloudFront behaviours and the compose edge's nginx.conf are built from); any other
`/api/` path is the ALB's 404 problem; everything else is the static site in `web/`.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from pathlib import Path

import httpx
import uvicorn
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netflux_catalogue import (
    API_PREFIX,
    NOT_FOUND_PROBLEM,
    PROBLEM_MEDIA_TYPE,
    SERVICES,
    problem_body,
    route_for,
)
from netflux_catalogue.edge import ALB_IDLE_TIMEOUT_SECONDS, is_published, security_headers
from netflux_devstack.asgi import run_lifespan

WEB_DIR = Path(__file__).resolve().parents[4] / "web"
# Headers that describe one connection, not the message (RFC 9110, 7.6.1).
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
# Like nginx's client_max_body_size in the compose edge: the services' own limit is far lower.
MAX_BODY_BYTES = 64 * 1024
# A request target is printable ASCII (RFC 9112 section 3.2; anything else is percent-encoded).
VALID_TARGET = re.compile(rb"/[\x21-\x7e]*")


def problem(status: int, title: str, detail: str, instance: str | None) -> Response:
    body = problem_body(status, title, detail, instance)
    return Response(json.dumps(body), status, media_type=PROBLEM_MEDIA_TYPE)


async def _bounded_body(request: Request) -> bytes | None:
    """The body, or None once it grows past MAX_BODY_BYTES (the rest is never read)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class SiteFiles(StaticFiles):
    """The site as it is published: dotfiles and dot-folders are not part of it."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if not is_published(path):
            return problem(404, "Not Found", "No such file", None)
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            detail = "No such file" if exc.status_code == 404 else "The site only answers GET"
            response = problem(exc.status_code, HTTPStatus(exc.status_code).phrase, detail, None)
            response.headers.update(exc.headers or {})  # Allow on 405
            return response


class SecurityHeaders:
    """Adds the CloudFront response headers policy's headers to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [
            (k.lower().encode(), v.encode()) for k, v in security_headers(tls=False).items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


def create_edge(upstreams: Mapping[str, str], web_dir: Path = WEB_DIR) -> ASGIApp:
    """An ASGI edge proxying to `upstreams` (service name -> base URL) and serving `web_dir`.

    Like the ALB it routes on the request target as the client sent it (percent-encoding intact)
    and forwards that target unchanged: decoding or normalising it first would let
    `/api/movies/%2e%2e/%2e%2e/actuator/health` reach a path the public edge never exposes. No
    router patterns either: a decoded newline in a path escapes a regular expression's `.*`.
    """
    return SecurityHeaders(Edge(upstreams, SiteFiles(directory=web_dir, html=True)))


class Edge:
    def __init__(self, upstreams: Mapping[str, str], site: ASGIApp) -> None:
        self.upstreams = dict(upstreams)
        self.site = site
        self.client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await run_lifespan(receive, send, self._start, self._stop)
            return
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        if scope["type"] == "http" and raw_path.startswith(API_PREFIX.encode()):
            response = await self._proxy(Request(scope, receive))
            await response(scope, receive, send)
        else:
            await self.site(scope, receive, send)

    async def _start(self) -> None:
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(30, connect=3))

    async def _stop(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    async def _proxy(self, request: Request) -> Response:
        raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
        query: bytes = request.scope.get("query_string", b"")
        target = raw_path + (b"?" + query if query else b"")
        if not VALID_TARGET.fullmatch(target):
            return problem(400, "Bad Request", "The request target is not a valid URI", None)
        path = raw_path.decode("ascii")
        route = route_for(path)
        if route is None:
            return problem(404, "Not Found", str(NOT_FOUND_PROBLEM["detail"]), path)
        try:
            body = await _bounded_body(request)
        except ClientDisconnect:  # nobody is left to answer; the ALB logs these as 460
            return problem(400, "Bad Request", "The client went away mid-request", path)
        if body is None:
            detail = f"The request body exceeds {MAX_BODY_BYTES} bytes"
            return problem(413, "Content Too Large", detail, path)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["x-forwarded-for"] = request.client.host if request.client else ""
        headers["x-forwarded-proto"] = request.url.scheme
        assert self.client is not None, "the edge is used outside its lifespan"
        try:
            upstream = await self.client.request(
                request.method, self.upstreams[route.service] + "/", headers=headers,
                content=body, extensions={"target": target},
            )  # fmt: skip
        except httpx.TimeoutException:
            return problem(504, "Gateway Timeout", f"{route.service} did not answer in time", path)
        except httpx.HTTPError:
            # What the ALB answers when no target can take the request.
            return problem(502, "Bad Gateway", f"{route.service} is not reachable", path)
        kept = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
        kept.pop("content-encoding", None)  # httpx has decoded the body
        if request.method == "HEAD" and "content-length" in upstream.headers:
            kept["content-length"] = upstream.headers["content-length"]  # what GET would send
        return Response(upstream.content, upstream.status_code, headers=kept)


def _upstream(value: str) -> tuple[str, str]:
    name, sep, url = value.partition("=")
    if not sep or name not in {s.name for s in SERVICES}:
        raise argparse.ArgumentTypeError(f"expected <service name>=<url>, got {value!r}")
    return name, url


def main() -> None:
    parser = argparse.ArgumentParser(description="The local edge: site + APIs on one port")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--upstream",
        type=_upstream,
        action="append",
        default=[],
        metavar="SERVICE=URL",
        help="where a service listens (default: its local port from the catalogue)",
    )
    args = parser.parse_args()
    upstreams = {s.name: s.local_url() for s in SERVICES} | dict(args.upstream)
    # The edge is the first hop: a client's own X-Forwarded-* headers are never believed.
    uvicorn.run(
        create_edge(upstreams),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        proxy_headers=False,
        timeout_keep_alive=ALB_IDLE_TIMEOUT_SECONDS,
    )


if __name__ == "__main__":
    main()
