from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.id_generator import IdGenerator

from netflux_common.app import create_service_app
from netflux_common.otlp_wire import encode_spans
from netflux_common.settings import ServiceSettings
from netflux_devstack.testing import app_client


@asynccontextmanager
async def service_client(router: APIRouter) -> AsyncIterator[httpx.AsyncClient]:
    """A client for a service app built on `router`, lifespan included.

    Port 1 on loopback refuses connections: a route that queries meets an unreachable database.
    """
    settings = ServiceSettings(database_url="postgresql://u:p@127.0.0.1:1/none")
    app: FastAPI = create_service_app(
        name="test", description="test", settings=settings, routers=[router]
    )
    async with app_client(app, "http://t") as client:
        yield client


@pytest.fixture
def client_for() -> Callable[[APIRouter], AbstractAsyncContextManager[httpx.AsyncClient]]:
    return service_client


class ScriptedIds(IdGenerator):
    """Ids from one seeded sequence: the same seed gives two tracer providers the same ids."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)  # noqa: S311 - test ids, not secrets

    def generate_trace_id(self) -> int:
        return self._random.getrandbits(128) | 1

    def generate_span_id(self) -> int:
        return self._random.getrandbits(64) | 1

    def is_trace_id_random(self) -> bool:
        return True


@pytest.fixture
def scripted_ids() -> Callable[[int], IdGenerator]:
    return ScriptedIds


def as_collected(spans: Sequence[ReadableSpan]) -> ExportTraceServiceRequest:
    """`spans` as a collector receives them (our exporter's request, parsed), less the times
    they were taken at, so that two runs of the same operations compare equal."""
    request: ExportTraceServiceRequest = ExportTraceServiceRequest.FromString(encode_spans(spans))
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                span.ClearField("start_time_unix_nano")
                span.ClearField("end_time_unix_nano")
                for event in span.events:
                    event.ClearField("time_unix_nano")
    return request


@pytest.fixture
def collected() -> Callable[[Sequence[ReadableSpan]], ExportTraceServiceRequest]:
    return as_collected
