"""The Python edge of `make run` answers like the ALB + CloudFront it stands for.

Requests go over a raw socket: an HTTP client library would normalise the very paths under test.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from netflux_catalogue.edge import security_headers
from netflux_devstack.edge import create_edge
from netflux_devstack.ports import free_port
from netflux_devstack.testing import Seen, echo_upstream, raw_request, serving


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[tuple[str, Seen]]:
    seen: Seen = []
    (tmp_path / "index.html").write_text("<!doctype html><title>site</title>")
    (tmp_path / ".env").write_text("SECRET=1")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[core]")
    async with (
        serving(echo_upstream("movie-service", seen)) as movie,
        serving(echo_upstream("customer-service", seen)) as customer,
        serving(
            create_edge({"movie-service": movie, "customer-service": customer}, tmp_path)
        ) as url,
    ):
        yield url, seen


@pytest.mark.parametrize(
    ("target", "service"),
    [
        ("/api/movies/%2e%2e/%2e%2e/actuator/health", "movie-service"),
        ("/api/movies/%2e%2e/%2e%2e/openapi.json", "movie-service"),
        ("/api/customers/..%2f..%2fopenapi.json", "customer-service"),
        ("/api/movies%2f..%2f..%2factuator%2fhealth", "movie-service"),
        ("/api/customers/1%0a", "customer-service"),
        ("/api/movies/%00", "movie-service"),
        ("/api/customers/1%7f", "customer-service"),
        ("/api/movies?limit=5&after=3", "movie-service"),
        ("/api/movies/a%0Ab%08c", "movie-service"),  # a decoded newline escapes router patterns
    ],
)
async def test_the_target_is_routed_raw_and_forwarded_unchanged(
    edge: tuple[str, Seen], target: str, service: str
) -> None:
    url, seen = edge

    status, _, body = await raw_request(url, target)

    assert status == 200, body
    assert json.loads(body) == {"service": service, "target": target}
    assert [s["target"] for s in seen] == [target]


@pytest.mark.parametrize("target", ["/actuator/prometheus", "/actuator/health", "/actuator/"])
async def test_the_actuator_is_not_published(edge: tuple[str, Seen], target: str) -> None:
    url, seen = edge

    status, _, _ = await raw_request(url, target)

    assert status == 404  # the site's, no service was asked
    assert seen == []


@pytest.mark.parametrize("target", ["/api/orders/1", "/api/customers", "/api/%6dovies"])
async def test_paths_no_service_owns_are_the_albs_404_problem(
    edge: tuple[str, Seen], target: str
) -> None:
    url, seen = edge

    status, headers, body = await raw_request(url, target)

    assert status == 404
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["instance"] == target
    assert seen == []


async def test_an_unreachable_service_is_a_502_problem(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("x")
    dead = f"http://127.0.0.1:{free_port()}"
    async with serving(
        create_edge({"movie-service": dead, "customer-service": dead}, tmp_path)
    ) as url:
        status, headers, body = await raw_request(url, "/api/movies")

    assert status == 502
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["detail"] == "movie-service is not reachable"


async def test_client_forwarding_headers_are_replaced_not_trusted(edge: tuple[str, Seen]) -> None:
    url, seen = edge

    await raw_request(url, "/api/movies", headers="X-Forwarded-For: 6.6.6.6\r\n")

    assert seen[0]["headers"][b"x-forwarded-for"] == b"127.0.0.1"


@pytest.mark.parametrize("target", ["/.env", "/.git/config", "/.git/"])
async def test_dotfiles_are_not_part_of_the_site(edge: tuple[str, Seen], target: str) -> None:
    url, _ = edge

    status, headers, body = await raw_request(url, target)

    assert status == 404
    assert b"SECRET" not in body
    assert b"[core]" not in body
    assert headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("target", ["/", "/api/movies", "/api/nothing"])
async def test_every_answer_carries_the_cloudfront_security_headers(
    edge: tuple[str, Seen], target: str
) -> None:
    url, _ = edge

    _, headers, _ = await raw_request(url, target)

    for name, value in security_headers(tls=False).items():
        assert headers[name.lower()] == value
    assert "strict-transport-security" not in headers  # plain HTTP locally


async def test_head_keeps_the_length_get_would_send(edge: tuple[str, Seen]) -> None:
    url, _ = edge

    _, get_headers, get_body = await raw_request(url, "/api/movies")
    status, headers, body = await raw_request(url, "/api/movies", "HEAD")

    assert status == 200
    assert body == b""
    assert headers["content-length"] == get_headers["content-length"] == str(len(get_body))


async def test_a_write_to_the_site_is_a_405_problem_with_allow(edge: tuple[str, Seen]) -> None:
    url, _ = edge

    status, headers, body = await raw_request(url, "/index.html", "POST")

    assert status == 405
    assert json.loads(body)["title"] == "Method Not Allowed"
    assert "GET" in headers["allow"]


async def test_a_body_over_the_edge_limit_is_413_before_any_service(
    edge: tuple[str, Seen],
) -> None:
    url, seen = edge
    body = b"x" * 70_000

    status, _, answer = await raw_request(
        url, "/api/customers/1/genre", "PATCH", f"Content-Length: {len(body)}\r\n", body
    )

    assert status == 413
    assert json.loads(answer)["status"] == 413
    assert seen == []


async def test_a_target_that_is_not_printable_ascii_is_a_400_problem(tmp_path: Path) -> None:
    # uvicorn itself refuses such request lines (its own plain-text 400, as the ALB answers its
    # own HTML 400); a server that passes one on gets the edge's problem. Driven at the ASGI
    # level because no HTTP client sends the raw byte.
    (tmp_path / "index.html").write_text("x")
    edge = create_edge({"movie-service": "http://127.0.0.1:9", "customer-service": ""}, tmp_path)
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http", "method": "GET", "path": "/api/movies/\u00e9",
        "raw_path": b"/api/movies/\xc3\xa9", "query_string": b"", "headers": [],
        "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5),
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await edge(scope, receive, send)  # type: ignore[arg-type]

    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["title"] == "Bad Request"
