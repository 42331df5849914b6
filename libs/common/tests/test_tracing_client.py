"""The span of an outgoing call: named by the callee's route, the trace context in the headers,
failures recorded the way OpenTelemetry's HTTP conventions say."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, Sampler
from opentelemetry.trace import SpanKind, StatusCode

from netflux_common.tracing import ClientCall, Tracing

URL = "http://movie-service:8080/api/movies/DRAMA?limit=20"
TEMPLATE = "/api/movies/{genre}"
SAMPLED = 0x01  # W3C trace-flags; the SDK also sets 0x02 (its trace ids are random)


class Traced:
    def __init__(self, sampler: Sampler) -> None:
        self.exporter = InMemorySpanExporter()
        provider = TracerProvider(resource=Resource.create({"service.name": "t"}), sampler=sampler)
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.tracing = Tracing(provider)

    def only_span(self) -> ReadableSpan:
        [span] = self.exporter.get_finished_spans()
        return span


@pytest.fixture
def traced() -> Iterator[Traced]:
    traced = Traced(ALWAYS_ON)
    yield traced
    traced.tracing.provider.shutdown()


def test_a_call_is_a_client_span_whose_context_travels_in_the_headers(traced: Traced) -> None:
    headers: dict[str, str] = {}
    with traced.tracing.client_call("GET", URL, TEMPLATE, headers) as call:
        call.status = 200
    span = traced.only_span()
    assert (span.name, span.kind, span.status.status_code) == (
        "GET /api/movies/{genre}",
        SpanKind.CLIENT,
        StatusCode.UNSET,
    )
    assert span.attributes == {
        "http.request.method": "GET",
        "url.full": URL,
        "url.template": TEMPLATE,
        "server.address": "movie-service",
        "server.port": 8080,
        "http.response.status_code": 200,
    }
    context = span.get_span_context()
    assert context is not None
    trace_id, span_id = format(context.trace_id, "032x"), format(context.span_id, "016x")
    version, sent_trace, parent, flags = headers["traceparent"].split("-")
    assert (version, sent_trace, parent) == ("00", trace_id, span_id)
    assert int(flags, 16) & SAMPLED


@pytest.mark.parametrize("status", [404, 503])
def test_an_error_answer_fails_the_client_span(traced: Traced, status: int) -> None:
    with traced.tracing.client_call("GET", URL, TEMPLATE, {}) as call:
        call.status = status
    span = traced.only_span()
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["http.response.status_code"] == status


def test_a_call_that_raises_records_the_exception(traced: Traced) -> None:
    with (
        pytest.raises(ConnectionRefusedError),
        traced.tracing.client_call("GET", URL, TEMPLATE, {}),
    ):
        raise ConnectionRefusedError("refused")
    span = traced.only_span()
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "ConnectionRefusedError"
    assert [e.name for e in span.events] == ["exception"]
    assert "http.response.status_code" not in span.attributes


def test_an_unsampled_call_records_nothing_but_still_passes_the_decision_on() -> None:
    traced = Traced(ALWAYS_OFF)
    headers: dict[str, str] = {}
    with traced.tracing.client_call("GET", URL, TEMPLATE, headers) as call:
        call.status = 503
    assert traced.exporter.get_finished_spans() == ()
    flags = int(headers["traceparent"].rsplit("-", 1)[1], 16)
    assert not flags & SAMPLED  # so movie-service will not sample it either


def test_without_tracing_a_call_is_untouched() -> None:
    with ClientCall(None) as call:
        call.status = 500
    assert call.span is None
