"""The span encoder against the SDK's: the same export request, byte for byte."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, StatusCode, TraceFlags, TraceState

from netflux_common.otlp_wire import encode_spans
from netflux_common.span_exporter import WireSpanExporter
from netflux_devstack.otlp import otlp_sink

REMOTE_PARENT = SpanContext(
    trace_id=0x0AF7651916CD43DD8448EB211C80319C,
    span_id=0xB7AD6B7169203331,
    is_remote=True,
    trace_flags=TraceFlags(TraceFlags.SAMPLED),
    trace_state=TraceState([("vendor", "value"), ("x", "1")]),
)


class Recorder:
    """A tracer provider whose finished spans are kept in memory."""

    def __init__(self, resource: Resource | None = None, limits: SpanLimits | None = None) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider(
            resource=resource or Resource.create({"service.name": "movie-service"}),
            span_limits=limits,
        )
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    def tracer(self, name: str = "netflux.http", **kwargs: Any) -> trace.Tracer:
        return self.provider.get_tracer(name, **kwargs)

    @property
    def spans(self) -> tuple[ReadableSpan, ...]:
        return self.exporter.get_finished_spans()


def assert_same_request(spans: tuple[ReadableSpan, ...] | list[ReadableSpan]) -> None:
    expected = sdk_encode(spans)
    encoded = encode_spans(spans)
    assert ExportTraceServiceRequest.FromString(encoded) == expected
    assert encoded == expected.SerializeToString()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    recorder = Recorder()
    yield recorder
    recorder.provider.shutdown()


def test_a_request_with_its_sql_and_a_failed_call(recorder: Recorder) -> None:
    tracer = recorder.tracer(
        "netflux.http",
        instrumenting_library_version="1.0",
        schema_url="https://s/1",
        attributes={"scope.kind": "http"},
    )
    parent = trace.set_span_in_context(trace.NonRecordingSpan(REMOTE_PARENT))
    with tracer.start_as_current_span(
        "GET /api/customers/{customer_id}",
        context=parent,
        kind=SpanKind.SERVER,
        attributes={"http.request.method": "GET", "url.path": "/api/customers/1"},
    ) as server:
        with recorder.tracer("netflux.sql").start_as_current_span(
            "SELECT customer", kind=SpanKind.CLIENT, attributes={"db.statement": "SELECT 1"}
        ):
            pass
        with tracer.start_as_current_span("GET", kind=SpanKind.CLIENT) as call:
            call.record_exception(ConnectionError("refused"))
            call.set_status(StatusCode.ERROR, "movie-service unreachable")
        server.set_attributes({"http.route": "/api/customers/{customer_id}", "status": 503})
        server.set_status(StatusCode.ERROR)
    assert len(recorder.spans) == 3
    assert_same_request(recorder.spans)


def test_every_span_kind_links_and_status(recorder: Recorder) -> None:
    tracer = recorder.tracer()
    local = SpanContext(0x1, 0x2, is_remote=False)
    for kind in SpanKind:
        with tracer.start_as_current_span(
            f"kind {kind.name}",
            kind=kind,
            links=[Link(REMOTE_PARENT, {"why": "batch"}), Link(local)],
        ) as span:
            span.set_status(StatusCode.OK)
            span.add_event("checkpoint", {"n": 1}, timestamp=1_700_000_000_000_000_000)
            span.add_event("")
    with tracer.start_as_current_span(""):  # an empty name is left out, as protobuf does
        pass
    assert_same_request(recorder.spans)


def test_spans_of_two_services_and_scopes_are_grouped_as_the_sdk_groups_them() -> None:
    movie, customer = Recorder(), Recorder(Resource.create({"service.name": "customer-service"}))
    spans: list[ReadableSpan] = []
    for recorder in (movie, customer):
        for scope in ("netflux.http", "netflux.sql", "netflux.http"):
            with recorder.tracer(scope).start_as_current_span(f"{scope} work"):
                pass
        spans += recorder.spans
    assert_same_request([spans[0], spans[3], spans[1], spans[4], spans[2], spans[5]])


def test_dropped_attributes_events_and_links_are_counted() -> None:
    limits = SpanLimits(max_span_attributes=2, max_events=1, max_links=1, max_event_attributes=1)
    recorder = Recorder(limits=limits)
    with recorder.tracer().start_as_current_span(
        "crowded",
        attributes={"a": 1, "b": 2, "c": 3},
        links=[Link(REMOTE_PARENT), Link(REMOTE_PARENT)],
    ) as span:
        span.add_event("one", {"x": 1, "y": 2})
        span.add_event("two")
    [crowded] = recorder.spans
    assert (crowded.dropped_attributes, crowded.dropped_events, crowded.dropped_links) == (1, 1, 1)
    assert_same_request(recorder.spans)


attribute_values = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(),
    st.lists(st.text(), max_size=3).map(tuple),
    st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=3).map(tuple),
    st.lists(st.floats(allow_nan=False), max_size=3).map(tuple),
    st.lists(st.booleans(), max_size=3).map(tuple),
    st.lists(st.one_of(st.none(), st.text()), max_size=3).map(tuple),  # the SDK allows None
)


@settings(max_examples=200, deadline=None)
@given(attributes=st.dictionaries(st.text(min_size=1), attribute_values, max_size=6))
def test_any_attributes_the_sdk_accepts(attributes: Mapping[str, Any]) -> None:
    recorder = Recorder(Resource.create({"service.name": "movie-service", **attributes}))
    with recorder.tracer().start_as_current_span("span", attributes=attributes) as span:
        span.add_event("event", attributes)
    assert_same_request(recorder.spans)


def test_an_attribute_too_large_for_int64_is_left_out_not_the_batch(recorder: Recorder) -> None:
    with recorder.tracer().start_as_current_span("big", attributes={"ok": "kept", "n": 2**64}):
        pass
    [span] = ExportTraceServiceRequest.FromString(encode_spans(recorder.spans)).resource_spans
    [attribute] = span.scope_spans[0].spans[0].attributes
    assert (attribute.key, attribute.value.string_value) == ("ok", "kept")
    assert_same_request(recorder.spans)  # the SDK's encoder leaves it out too


def test_a_string_that_is_not_unicode_text_is_left_out_as_the_sdk_does(
    recorder: Recorder,
) -> None:
    with recorder.tracer().start_as_current_span("odd", attributes={"bad": "\ud800", "ok": "x"}):
        pass
    assert_same_request(recorder.spans)


def test_the_exporter_delivers_the_encoded_request_to_a_collector(recorder: Recorder) -> None:
    with recorder.tracer().start_as_current_span("GET /api/movies", kind=SpanKind.SERVER):
        pass
    with otlp_sink() as sink:
        exporter = WireSpanExporter(endpoint=f"{sink.endpoint}/v1/traces")
        assert exporter.export(recorder.spans).name == "SUCCESS"
        exporter.shutdown()  # type: ignore[no-untyped-call]
        assert exporter.export(recorder.spans).name == "FAILURE"  # nothing after shutdown
    [body] = sink.received()
    assert ExportTraceServiceRequest.FromString(body) == sdk_encode(recorder.spans)


def test_a_collector_that_refuses_is_a_failed_export(recorder: Recorder) -> None:
    with recorder.tracer().start_as_current_span("GET /api/movies"):
        pass
    # Nothing listens on the port: the export fails (after the SDK's own retries) without
    # raising into the batch processor's thread.
    exporter = WireSpanExporter(endpoint="http://127.0.0.1:9/v1/traces", timeout=1)
    assert exporter.export(recorder.spans).name == "FAILURE"
