"""What every request reports: X-Request-ID, a JSON log line, Prometheus metrics."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from fastapi import APIRouter
from prometheus_client.parser import text_string_to_metric_families

from netflux_common.app import create_service_app
from netflux_common.logging import JsonFormatter, TextFormatter
from netflux_common.metrics import PATH as METRICS_PATH
from netflux_common.problems import ProblemError
from netflux_common.settings import ServiceSettings
from netflux_devstack.testing import raw_request, serving

router = APIRouter(prefix="/things")


@router.get("/{thing_id}")
async def thing(thing_id: int) -> dict[str, int]:
    logging.getLogger("things").info("looked at %d", thing_id)
    return {"id": thing_id}


@router.get("/fail/{code}")
async def fail(code: int) -> None:
    raise ProblemError("it failed")


@router.patch("/{thing_id}")
async def patch_thing(thing_id: int) -> None:
    return None


GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
async def client(
    client_for: Callable[[APIRouter], AbstractAsyncContextManager[httpx.AsyncClient]],
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(router) as client:
        yield client


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything logged while the test runs, formatted as JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def parse(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


# --- X-Request-ID --------------------------------------------------------------------------


async def test_a_sane_request_id_is_kept_and_returned(client: httpx.AsyncClient) -> None:
    response = await client.get("/things/1", headers={"X-Request-ID": "abc-123_x.y:z"})
    assert response.headers["x-request-id"] == "abc-123_x.y:z"


@pytest.mark.parametrize(
    "sent",
    ["", "a" * 129, "has space", 'quote"d', "new\\nline", "caf\u00e9"],
)
async def test_an_unfit_request_id_is_replaced(client: httpx.AsyncClient, sent: str) -> None:
    response = await client.get("/things/1", headers={b"X-Request-ID": sent.encode("utf-8")})
    assert GENERATED.fullmatch(response.headers["x-request-id"])


async def test_each_request_without_an_id_gets_its_own(client: httpx.AsyncClient) -> None:
    ids = {(await client.get("/things/1")).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3
    assert all(GENERATED.fullmatch(i) for i in ids)


@pytest.mark.parametrize(
    ("method", "path", "content", "status"),
    [
        ("GET", "/things/fail/1", b"", 500),  # a ProblemError from a route
        ("GET", "/nowhere", b"", 404),  # no route
        ("GET", "/things/x", b"", 400),  # validation
        ("PATCH", "/things/1", b"x" * 10_000, 413),  # the protocol guard
        ("PATCH", "/things/1", b"<a/>", 415),
    ],
)
async def test_every_problem_carries_the_request_id(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    content: bytes,
    status: int,
) -> None:
    headers = {"X-Request-ID": "req-42", "content-type": "text/xml"}
    response = await client.request(method, path, headers=headers, content=content)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["requestId"] == "req-42"
    assert response.headers["x-request-id"] == "req-42"


# --- logs ----------------------------------------------------------------------------------


async def test_a_request_logs_one_json_line_with_its_fields(
    client: httpx.AsyncClient, log_lines: io.StringIO
) -> None:
    await client.get("/things/7?secret=1", headers={"X-Request-ID": "req-7"})

    lines = [line for line in parse(log_lines) if line.get("request_id") == "req-7"]
    app_line, request_line = lines  # the route's own, then the request's
    assert app_line["logger"] == "things"
    assert app_line["message"] == "looked at 7"
    assert request_line["logger"] == "netflux.access"
    assert {k: request_line[k] for k in ("method", "path", "status")} == {
        "method": "GET",
        "path": "/things/7",  # no query string: it may hold what logs must not
        "status": 200,
    }
    assert isinstance(request_line["duration_ms"], float)
    assert request_line["level"] == "INFO"
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", str(request_line["timestamp"])
    )
    assert "trace_id" not in request_line  # tracing is off here


def test_an_exception_stays_inside_its_json_line() -> None:
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: bad\nthing" in json.loads(line)["exception"]


def test_the_text_format_appends_the_context() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    assert TextFormatter().format(record).endswith("INFO [x] hello you")


# --- metrics -------------------------------------------------------------------------------


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def request_count(
    metrics: dict[tuple[str, frozenset[tuple[str, str]]], float], **labels: str
) -> float:
    key = ("http_server_requests_seconds_count", frozenset(labels.items()))
    return metrics.get(key, 0.0)


async def test_prometheus_counts_requests_by_route_template(client: httpx.AsyncClient) -> None:
    for thing_id in (1, 2, 3):
        await client.get(f"/things/{thing_id}")
    await client.head("/things/4")
    await client.get("/no/such/path")
    response = await client.get(METRICS_PATH)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    metrics = samples(response.text)
    template = "/things/{thing_id}"
    assert request_count(metrics, method="GET", uri=template, status="200") == 3
    assert request_count(metrics, method="HEAD", uri=template, status="200") == 1
    assert request_count(metrics, method="GET", uri="UNMATCHED", status="404") == 1
    assert not any("/things/1" in str(labels) for _, labels in metrics)  # no raw paths
    bucket = (
        "http_server_requests_seconds_bucket",
        frozenset({"method": "GET", "uri": template, "status": "200", "le": "+Inf"}.items()),
    )
    assert metrics[bucket] == 3


async def test_prometheus_reports_the_database_pool(client: httpx.AsyncClient) -> None:
    metrics = samples((await client.get(METRICS_PATH)).text)
    primary = frozenset({("pool", "primary")})
    assert metrics[("db_pool_size", primary)] == 10  # DB_POOL_SIZE + DB_MAX_OVERFLOW, all kept
    assert metrics[("db_pool_connections_checked_out", primary)] == 0
    assert ("db_pool_connections_overflow", primary) in metrics


async def test_each_app_counts_only_its_own_requests(
    client_for: Callable[[APIRouter], AbstractAsyncContextManager[httpx.AsyncClient]],
) -> None:
    async with client_for(router) as first, client_for(router) as second:
        await first.get("/things/1")
        metrics = samples((await second.get(METRICS_PATH)).text)
    assert request_count(metrics, method="GET", uri="/things/{thing_id}", status="200") == 0


@pytest.mark.parametrize(
    "target",
    [
        "/things/%2e%2e/actuator/prometheus",
        "/things/..%2factuator%2fprometheus",
        "/things/../actuator/prometheus",
    ],
)
async def test_a_service_does_not_resolve_dot_segments_to_the_actuator(target: str) -> None:
    """The edges forward API targets raw (as the ALB does): the service itself must not turn
    them into /actuator/prometheus."""
    settings = ServiceSettings(database_url="postgresql://u:p@127.0.0.1:1/none")
    app = create_service_app(name="t", description="t", settings=settings, routers=[router])
    async with serving(app) as url:
        status, _, body = await raw_request(url, target)
    assert status == 404, body
