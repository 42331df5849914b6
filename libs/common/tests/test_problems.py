"""Every failure of a service app is RFC 9457 problem+json, without leaking internals."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from http import HTTPStatus

import httpx
import pytest
from fastapi import APIRouter, Query

from netflux_common.problems import PROBLEM_TYPE_PREFIX, ProblemError, problem_responses


class TeapotEmpty(ProblemError):
    status = HTTPStatus.CONFLICT
    title = "Teapot Empty"
    slug = "teapot-empty"


router = APIRouter(prefix="/things")


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("SELECT password FROM secret_table")


@router.get("/teapot", responses=problem_responses(409))
async def teapot() -> None:
    raise TeapotEmpty("No tea left", refillAt="noon")


@router.get("/count")
async def count(n: int = Query(ge=0)) -> int:
    return n


@pytest.fixture
async def client(
    client_for: Callable[[APIRouter], AbstractAsyncContextManager[httpx.AsyncClient]],
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(router) as client:
        yield client


def problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status
    return body


async def test_unexpected_error_is_a_generic_500_that_leaks_nothing(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await client.get("/things/boom")

    body = problem(response, 500)
    assert body["title"] == "Internal Server Error"
    assert "secret_table" not in response.text
    assert "RuntimeError" not in response.text
    assert any("secret_table" in str(r.exc_info) for r in caplog.records)  # logged instead


async def test_domain_problem_carries_its_type_and_extensions(client: httpx.AsyncClient) -> None:
    response = await client.get("/things/teapot")
    body = problem(response, 409)

    assert body == {
        "type": PROBLEM_TYPE_PREFIX + "teapot-empty",
        "title": "Teapot Empty",
        "status": 409,
        "detail": "No tea left",
        "instance": "/things/teapot",
        "requestId": response.headers["x-request-id"],
        "refillAt": "noon",
    }


async def test_query_validation_is_400_naming_the_field(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/things/count?n=-1"), 400)

    assert body["errors"] == [
        {"field": "n", "message": "n: Input should be greater than or equal to 0"}
    ]


async def test_unknown_route_and_wrong_method(client: httpx.AsyncClient) -> None:
    not_found = problem(await client.get("/nope"), 404)
    wrong_method = await client.post("/things/count")

    assert not_found["type"] == "about:blank"
    assert not_found["instance"] == "/nope"
    problem(wrong_method, 405)
    assert wrong_method.headers["allow"] == "GET"


async def test_openapi_documents_problem_responses(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()

    conflict = spec["paths"]["/things/teapot"]["get"]["responses"]["409"]
    assert "application/problem+json" in conflict["content"]
    schema = conflict["content"]["application/problem+json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Problem"}
    assert set(spec["components"]["schemas"]["Problem"]["required"]) == {
        "title",
        "status",
        "detail",
        "instance",
    }
