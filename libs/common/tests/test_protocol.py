"""Protocol guards every service has: body and header limits, JSON only, HEAD, no redirects."""

from __future__ import annotations

import gc
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI, Response
from pydantic import BaseModel

from netflux_catalogue.edge import ALB_IDLE_TIMEOUT_SECONDS, SERVICE_KEEP_ALIVE_SECONDS
from netflux_common.app import serve
from netflux_common.settings import ServiceSettings

router = APIRouter(prefix="/things")


class Rename(BaseModel):
    name: str


@router.get("/{thing_id}")
async def read(thing_id: int) -> dict[str, int]:
    return {"id": thing_id}


@router.patch("/{thing_id}", status_code=204, response_class=Response)
async def rename(thing_id: int, body: Rename) -> None:
    return None


@pytest.fixture
async def client(
    client_for: Callable[[APIRouter], AbstractAsyncContextManager[httpx.AsyncClient]],
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(router) as client:
        yield client


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


async def test_a_declared_large_body_is_refused_unread(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        "/things/1",
        content=b"{" + b" " * 100_000 + b"}",
        headers={"content-type": "application/json"},
    )

    assert_problem(response, 413)
    assert "8192 bytes" in response.json()["detail"]


async def test_a_streamed_large_body_is_cut_off_without_reading_it_all(
    client: httpx.AsyncClient,
) -> None:
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(100_000):  # 100 MB if it were read whole
            sent += 1
            yield b" " * 1024

    response = await client.patch(
        "/things/1", content=body(), headers={"content-type": "application/json"}
    )

    assert_problem(response, 413)
    assert sent < 20


async def test_a_body_that_is_not_json_is_415(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        "/things/1",
        content=b"name=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )

    assert_problem(response, 415)


async def test_json_with_a_charset_or_a_json_suffix_is_accepted(client: httpx.AsyncClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await client.patch(
            "/things/1", content=b'{"name": "x"}', headers={"content-type": content_type}
        )
        assert response.status_code == 204, content_type


async def test_oversized_headers_are_431(client: httpx.AsyncClient) -> None:
    response = await client.get("/things/1", headers={"x-big": "x" * 20_000})

    assert_problem(response, 431)


async def test_head_is_answered_wherever_get_is(client: httpx.AsyncClient) -> None:
    get = await client.get("/things/7")
    head = await client.head("/things/7")

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"]


async def test_a_trailing_slash_is_not_redirected(client: httpx.AsyncClient) -> None:
    response = await client.get("/things/7/", headers={"host": "evil.example"})

    assert_problem(response, 404)
    assert "location" not in response.headers


async def test_openapi_documents_400_problems_and_no_422(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operations = [op for path in spec["paths"].values() for op in path.values()]

    assert all("422" not in op["responses"] for op in operations)
    assert "400" in spec["paths"]["/things/{thing_id}"]["patch"]["responses"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]


@pytest.fixture
def unfreezes() -> Iterator[None]:
    """`serve` freezes the collector's objects, the test process's too: thawed afterwards."""
    yield
    gc.unfreeze()
    gc.enable()


@pytest.mark.usefixtures("unfreezes")
def test_serve_keeps_idle_connections_longer_than_the_alb_and_trusts_only_its_proxies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    settings = ServiceSettings(forwarded_allow_ips="10.0.0.0/16")

    serve(FastAPI(), settings)

    assert seen["timeout_keep_alive"] == SERVICE_KEEP_ALIVE_SECONDS > ALB_IDLE_TIMEOUT_SECONDS
    assert seen["forwarded_allow_ips"] == "10.0.0.0/16"
    assert ServiceSettings().forwarded_allow_ips == "127.0.0.1"  # never "*"


@pytest.mark.usefixtures("unfreezes")
def test_serve_freezes_what_start_up_built_before_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    """Out of the collector's full passes (see `serve`), and no start-up garbage frozen with it."""
    gc.unfreeze()
    app, settings = FastAPI(), ServiceSettings()
    frozen: list[int] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: frozen.append(gc.get_freeze_count()))
    gc.disable()  # no collection of its own frees the cycle before `serve` does
    garbage = Cycle()
    gone = weakref.ref(garbage)
    del garbage  # only the collector frees it

    serve(app, settings)

    assert frozen[0] > 1000  # the app, its routes, the modules: the objects start-up left
    assert gone() is None


class Cycle:
    def __init__(self) -> None:
        self.me = self
