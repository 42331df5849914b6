"""`RecordedSpan` exports what the SDK's span exports for the same operations: attributes of
every kind (and the ones the SDK drops), span limits, events, exceptions, links, status rules,
renames, and changes after the end (ignored)."""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable, Sequence
from types import SimpleNamespace

import pytest
from opentelemetry import baggage, context, trace
from opentelemetry.context import Context
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import DEFAULT_ON
from opentelemetry.trace import Span, SpanContext, Status, StatusCode, TraceFlags, TraceState

from netflux_common.spans import RecordedSpan
from netflux_common.tracing import Tracing


def _fail() -> None:
    raise ValueError("no such genre")


class Genre(enum.Enum):
    DRAMA = "DRAMA"


def _exit_with(span: Span, error: BaseException) -> None:
    span.__exit__(type(error), error, error.__traceback__)


def _raised() -> ValueError:
    try:
        _fail()
    except ValueError as error:
        return error
    raise AssertionError("unreachable")


LINKED = SpanContext(0x1234, 0x5678, True, TraceFlags(1))
OPERATIONS: dict[str, Callable[[Span], object]] = {
    "attributes of each type": lambda s: s.set_attributes(
        {"s": "x", "i": -3, "f": 1.5, "b": True, "big": 1 << 62}
    ),
    "sequences": lambda s: s.set_attributes({"l": [1, 2], "t": ("a", "b"), "mixed": [1, "a"]}),
    "invalid values and keys": lambda s: s.set_attributes(
        {"none": None, "d": {"a": 1}, "": "empty key", "o": object()}  # type: ignore[dict-item]
    ),
    "overwrite": lambda s: (s.set_attribute("url.path", "/x"), s.set_attribute("k", 1)),
    "many attributes": lambda s: s.set_attributes({f"k{i}": i for i in range(140)}),
    "event": lambda s: s.add_event("cache miss", {"genre": "DRAMA", "n": 2}, timestamp=5),
    "many events": lambda s: [s.add_event(f"e{i}") for i in range(130)],
    "exception": lambda s: s.record_exception(_raised(), {"extra": "x"}, escaped=True),
    "link": lambda s: s.add_link(LINKED, {"why": "batch"}),
    "invalid link": lambda s: s.add_link(SpanContext(0, 0, False)),
    "invalid link with a trace state": lambda s: s.add_link(
        SpanContext(0, 0, False, trace_state=TraceState([("vendor", "v")]))
    ),
    "no link": lambda s: s.add_link(None),  # type: ignore[arg-type]
    "keys that are not strings": lambda s: (
        s.set_attributes({5: "converted", Genre.DRAMA: 1}),  # type: ignore[dict-item]
        s.set_attribute(6, "dropped"),  # type: ignore[arg-type]
    ),
    "used as a context manager": lambda s: _exit_with(s, _raised()),
    "error status": lambda s: s.set_status(StatusCode.ERROR, "boom"),
    "status object": lambda s: s.set_status(Status(StatusCode.ERROR, "x"), "ignored"),
    "ok is final": lambda s: (s.set_status(StatusCode.OK), s.set_status(StatusCode.ERROR, "no")),
    "unset ignored": lambda s: (s.set_status(StatusCode.ERROR), s.set_status(StatusCode.UNSET)),
    "rename": lambda s: s.update_name("GET /api/movies/{genre}"),
}
LIMITS = {
    "default limits": SpanLimits(),
    "tight limits": SpanLimits(
        max_span_attributes=4, max_events=2, max_event_attributes=1, max_links=1
    ),
    "length limit": SpanLimits(max_span_attribute_length=3, max_attribute_length=2),
}


def export_one(
    operation: Callable[[Span], object], limits: SpanLimits, ids: IdGenerator, *, decide_here: bool
) -> tuple[type, Sequence[ReadableSpan]]:
    provider = TracerProvider(
        resource=Resource.create({"service.name": "t"}),
        sampler=DEFAULT_ON,
        id_generator=ids,
        span_limits=limits,
    )
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = Tracing(provider, decide_here=decide_here)
    scope = {"type": "http", "method": "GET", "path": "/api/movies/DRAMA", "headers": []}
    handle = tracing.start_server_span(scope, "request-1")
    assert handle is not None
    operation(handle.span)
    tracing.end_server_span(handle, "/api/movies/{genre}", 200, None)
    # After the end nothing changes (the SDK warns and ignores).
    handle.span.set_attribute("late", 1)
    handle.span.add_event("late")
    handle.span.set_status(StatusCode.ERROR)
    handle.span.update_name("late")
    handle.span.end()
    return type(handle.span), exporter.get_finished_spans()


@pytest.mark.parametrize("limits", LIMITS.values(), ids=LIMITS.keys())
@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
def test_a_recorded_span_exports_what_the_sdks_span_does(
    operation: Callable[[Span], object],
    limits: SpanLimits,
    scripted_ids: Callable[[int], IdGenerator],
    collected: Callable[[Sequence[ReadableSpan]], ExportTraceServiceRequest],
) -> None:
    kind, here = export_one(operation, limits, scripted_ids(7), decide_here=True)
    sdk_kind, sdk = export_one(operation, limits, scripted_ids(7), decide_here=False)
    assert kind is RecordedSpan
    assert sdk_kind is not RecordedSpan
    assert collected(here) == collected(sdk)
    assert len(here) == 1  # one span, ended once
    # What the comparison above does not show: the flags, and the scope as its own object.
    (mine,), (theirs,) = here, sdk
    assert mine.context == theirs.context
    assert mine.instrumentation_scope == theirs.instrumentation_scope


def test_a_recorded_span_reads_like_the_sdks_readable_span() -> None:
    """Other processors and exporters read spans through `ReadableSpan`'s properties."""
    provider = TracerProvider(sampler=DEFAULT_ON)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = Tracing(provider)
    handle = tracing.start_server_span(
        {"type": "http", "method": "GET", "path": "/x", "headers": []}, "r"
    )
    assert handle is not None
    handle.span.add_event("cache miss", timestamp=5)
    tracing.end_server_span(handle, "/x", 503, RuntimeError("down"))
    (span,) = exporter.get_finished_spans()
    assert isinstance(span, RecordedSpan)
    assert span.name == "GET /x"
    assert dict(span.attributes or {})["http.response.status_code"] == 503
    assert span.status.status_code is StatusCode.ERROR
    assert (span.events[0].name, span.events[0].timestamp) == ("cache miss", 5)
    assert [e.name for e in span.events] == ["cache miss", "exception"]
    assert span.end_time is not None
    assert span.start_time is not None
    assert span.end_time >= span.start_time
    assert span.resource is provider.resource
    assert '"name": "GET /x"' in span.to_json()


def test_spans_of_both_kinds_share_one_scope_in_a_batch() -> None:
    """A request with `baggage` goes to the SDK, one without is started here; exported in one
    batch they are one scope's spans (by the SDK's encoder too)."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    provider = TracerProvider(sampler=DEFAULT_ON)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = Tracing(provider)
    for headers in ([(b"baggage", b"tenant=blue")], []):
        scope = {"type": "http", "method": "GET", "path": "/x", "headers": headers}
        handle = tracing.start_server_span(scope, "r")
        assert handle is not None
        tracing.end_server_span(handle, "/x", 200, None)
    spans = exporter.get_finished_spans()
    assert [type(span) is RecordedSpan for span in spans] == [False, True]
    (resource_spans,) = encode_spans(spans).resource_spans
    assert len(resource_spans.scope_spans) == 1
    assert len(resource_spans.scope_spans[0].spans) == 2


class ParentContexts(SpanProcessor):
    def __init__(self) -> None:
        self.seen: list[object] = []

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        found = None
        if parent_context is not None:
            found = (
                dict(baggage.get_all(parent_context)),
                trace.get_current_span(parent_context).get_span_context(),
            )
        self.seen.append(found)


@pytest.mark.parametrize("decide_here", [True, False], ids=["here", "sdk"])
def test_processors_get_the_callers_context_not_the_current_one(decide_here: bool) -> None:
    provider = TracerProvider(sampler=DEFAULT_ON)
    processor = ParentContexts()
    provider.add_span_processor(processor)
    tracing = Tracing(provider, decide_here=decide_here)
    sampled = (b"traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    token = context.attach(baggage.set_baggage("leak", "yes"))
    try:
        scope = {"type": "http", "method": "GET", "path": "/x", "headers": [sampled]}
        handle = tracing.start_server_span(scope, "r")
        assert handle is not None
        with tracing.client_call("GET", "http://m/", "/", {}):
            pass
        tracing.end_server_span(handle, "/x", 200, None)
    finally:
        context.detach(token)
    remote = SpanContext(
        0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, True, TraceFlags(1)
    )
    assert processor.seen == [({}, remote), None]  # the call's span: no context was passed


def _statement_spans(
    ids: IdGenerator, *, decide_here: bool, fail: bool
) -> tuple[list[type], Sequence[ReadableSpan]]:
    """A request's SQL statement (SQLite standing in: the cursor events are SQLAlchemy's)."""
    from sqlalchemy import create_engine, make_url, text

    provider = TracerProvider(
        resource=Resource.create({"service.name": "t"}), sampler=DEFAULT_ON, id_generator=ids
    )
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = Tracing(provider, decide_here=decide_here)
    engine = create_engine("sqlite://")
    tracing.instrument_engine(SimpleNamespace(url=make_url("sqlite://"), sync_engine=engine))  # type: ignore[arg-type]
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": []}
    handle = tracing.start_server_span(scope, "r")
    assert handle is not None
    with engine.connect() as connection, contextlib.suppress(Exception):
        connection.execute(text("SELECT nope FROM nowhere" if fail else "SELECT 1"))
    tracing.end_server_span(handle, "/x", 200, None)
    spans = exporter.get_finished_spans()
    return [type(span) for span in spans], spans


@pytest.mark.parametrize("fail", [False, True], ids=["statement", "failed statement"])
def test_a_statement_span_is_the_sdks(
    fail: bool,
    scripted_ids: Callable[[int], IdGenerator],
    collected: Callable[[Sequence[ReadableSpan]], ExportTraceServiceRequest],
) -> None:
    kinds, here = _statement_spans(scripted_ids(3), decide_here=True, fail=fail)
    _, sdk = _statement_spans(scripted_ids(3), decide_here=False, fail=fail)
    assert kinds == [RecordedSpan, RecordedSpan]  # the statement's, then the request's
    assert collected(here) == collected(sdk)
    assert here[0].name == "SELECT"
