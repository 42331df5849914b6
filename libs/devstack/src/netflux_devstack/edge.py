"""The local edge of `make run`: what CloudFront + ALB do in AWS, on one local port.

`/api/...` goes to a service by the catalogue's routing table (the same table the ALB listener
rules, the CloudFront behaviours and the compose edge's nginx.conf are built from); any other
`/api/` path is the ALB's 404 problem; everything else is the static site in `web/`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from netflux_catalogue import (
    API_PREFIX,
    NOT_FOUND_PROBLEM,
    PROBLEM_MEDIA_TYPE,
    SERVICES,
    problem_body,
    route_for,
)

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


def problem(status: int, title: str, detail: str, path: str) -> Response:
    body = problem_body(status, title, detail, path)
    return Response(json.dumps(body), status, media_type=PROBLEM_MEDIA_TYPE)


def create_edge(upstreams: Mapping[str, str], web_dir: Path = WEB_DIR) -> Starlette:
    """An ASGI edge proxying to `upstreams` (service name -> base URL) and serving `web_dir`."""
    state: dict[str, httpx.AsyncClient] = {}

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=httpx.Timeout(30, connect=3)) as client:
            state["client"] = client
            yield

    async def proxy(request: Request) -> Response:
        path = request.url.path
        route = route_for(path)
        if route is None:
            return problem(404, "Not Found", str(NOT_FOUND_PROBLEM["detail"]), path)
        url = upstreams[route.service] + path
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["x-forwarded-for"] = request.client.host if request.client else ""
        try:
            upstream = await state["client"].request(
                request.method, url, params=request.query_params, headers=headers,
                content=await request.body(),
            )  # fmt: skip
        except httpx.HTTPError:
            # What the ALB answers when no target can take the request.
            return problem(502, "Bad Gateway", f"{route.service} is not reachable", path)
        kept = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
        kept.pop("content-encoding", None)  # httpx has decoded the body
        return Response(upstream.content, upstream.status_code, headers=kept)

    methods = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(
        routes=[
            Route(API_PREFIX + "{rest:path}", proxy, methods=methods),
            Mount("/", StaticFiles(directory=web_dir, html=True)),
        ],
        lifespan=lifespan,
    )


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
    uvicorn.run(create_edge(upstreams), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
