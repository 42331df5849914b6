"""`HeadSampling` decides as the SDK would: for each incoming header case and sampler, the
request's span (recorded or not, ids, flags, trace state), the headers a call from inside it
sends and the ids its log lines carry are the same as when the SDK decides; where it cannot
decide, it leaves the span to the SDK."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence

import pytest
from opentelemetry import baggage, context
from opentelemetry.propagate import get_global_textmap
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    DEFAULT_OFF,
    DEFAULT_ON,
    ParentBased,
    ParentBasedTraceIdRatio,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import NoOpTracer, SpanContext, TraceFlags, TraceState, get_tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from netflux_common import sampling
from netflux_common.sampling import HeadSampling
from netflux_common.spans import RecordedSpan
from netflux_common.tracing import Tracing, _current_ids

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
HEADER_CASES: dict[str, list[tuple[bytes, bytes]]] = {
    "no trace context": [],
    "unsampled parent": [(b"traceparent", f"00-{TRACE}-{PARENT}-00".encode())],
    "sampled parent": [(b"traceparent", f"00-{TRACE}-{PARENT}-01".encode())],
    "unsampled, random trace id": [(b"traceparent", f"00-{TRACE}-{PARENT}-02".encode())],
    "sampled, random trace id": [(b"traceparent", f"00-{TRACE}-{PARENT}-03".encode())],
    "unknown flags": [(b"traceparent", f"00-{TRACE}-{PARENT}-fc".encode())],
    "padded with blanks": [(b"traceparent", f" \t00-{TRACE}-{PARENT}-00 ".encode())],
    "later version, more fields": [(b"traceparent", f"01-{TRACE}-{PARENT}-00-xyz".encode())],
    "version 00, more fields": [(b"traceparent", f"00-{TRACE}-{PARENT}-00-xyz".encode())],
    "version ff": [(b"traceparent", f"ff-{TRACE}-{PARENT}-00".encode())],
    "zero trace id": [(b"traceparent", f"00-{'0' * 32}-{PARENT}-00".encode())],
    "zero span id": [(b"traceparent", f"00-{TRACE}-{'0' * 16}-01".encode())],
    "upper-case hex": [(b"traceparent", f"00-{TRACE.upper()}-{PARENT}-00".encode())],
    "short trace id": [(b"traceparent", f"00-{TRACE[:30]}-{PARENT}-00".encode())],
    "not a traceparent": [(b"traceparent", b"hello")],
    "two, the first unsampled": [
        (b"traceparent", f"00-{TRACE}-{PARENT}-00".encode()),
        (b"traceparent", f"00-{TRACE}-{PARENT}-01".encode()),
    ],
    "two, the first sampled": [
        (b"traceparent", f"00-{TRACE}-{PARENT}-01".encode()),
        (b"traceparent", f"00-{TRACE}-{PARENT}-00".encode()),
    ],
    "with tracestate": [
        (b"traceparent", f"00-{TRACE}-{PARENT}-00".encode()),
        (b"tracestate", b"vendor=value"),
    ],
    "with baggage": [
        (b"traceparent", f"00-{TRACE}-{PARENT}-00".encode()),
        (b"baggage", b"tenant=blue"),
    ],
    "baggage, no traceparent": [(b"baggage", b"tenant=blue")],
}
SAMPLERS: dict[str, Sampler] = {
    "parentbased_always_on": DEFAULT_ON,
    "parentbased_always_off": DEFAULT_OFF,
    "parentbased_traceidratio 0.5": ParentBasedTraceIdRatio(0.5),
}


EXPORTED: dict[int, InMemorySpanExporter] = {}  # by id(tracing)
STARTED: list[type] = []  # the classes of the last request's spans (server, call)


def tracing_with(sampler: Sampler, ids: IdGenerator, *, decide_here: bool) -> Tracing:
    provider = TracerProvider(
        resource=Resource.create({"service.name": "t"}), sampler=sampler, id_generator=ids
    )
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = Tracing(provider, decide_here=decide_here)
    assert (tracing.head_sampling is not None) == decide_here
    EXPORTED[id(tracing)] = exporter
    return tracing


def one_request(tracing: Tracing, headers: list[tuple[bytes, bytes]]) -> dict[str, object]:
    """What a user of the trace sees of one request: its span, what a call from it sends, the
    ids in its log lines."""
    scope = {"type": "http", "method": "GET", "path": "/api/movies/DRAMA", "headers": headers}
    handle = tracing.start_server_span(scope, "request-1")
    assert handle is not None
    try:
        sent: dict[str, str] = {}
        with tracing.client_call(
            "GET", "http://m:8080/api/movies/X", "/api/movies/{g}", sent
        ) as call:
            STARTED[:] = [type(handle.span), type(call.span)]
        logged = _current_ids()
        span_context = handle.span.get_span_context()
        seen = {
            "recording": handle.span.is_recording(),
            "context": (
                span_context.trace_id,
                span_context.span_id,
                int(span_context.trace_flags),
                span_context.trace_state.to_header(),
                span_context.is_remote,
                span_context.is_valid,
            ),
            "sent": sent,
            "logged": logged,
            "baggage": dict(baggage.get_all()),
        }
    finally:
        tracing.end_server_span(handle, "/api/movies/{genre}", 200, None)
    return seen


@pytest.fixture(autouse=True)
def log_ids() -> Iterator[None]:
    from netflux_common.logging import set_trace_ids

    set_trace_ids(_current_ids)
    yield
    set_trace_ids(None)


@pytest.mark.parametrize("sampler", SAMPLERS.values(), ids=SAMPLERS.keys())
@pytest.mark.parametrize("headers", HEADER_CASES.values(), ids=HEADER_CASES.keys())
def test_a_request_traces_as_when_the_sdk_decides(
    sampler: Sampler,
    headers: list[tuple[bytes, bytes]],
    scripted_ids: Callable[[int], IdGenerator],
    collected: Callable[[Sequence[ReadableSpan]], ExportTraceServiceRequest],
) -> None:
    for seed in range(8):  # under the ratio, roots on both sides of the bound
        decided_here = tracing_with(sampler, scripted_ids(seed), decide_here=True)
        here = one_request(decided_here, headers)
        started_here = list(STARTED)
        by_sdk = tracing_with(sampler, scripted_ids(seed), decide_here=False)
        sdk = one_request(by_sdk, headers)
        assert here == sdk
        # What the collector receives: names, kinds, ids, parents, attributes, status, scope.
        exported_here = collected(EXPORTED[id(decided_here)].get_finished_spans())
        assert exported_here == collected(EXPORTED[id(by_sdk)].get_finished_spans())
        if here["recording"] and not {k for k, _ in headers} & {b"tracestate", b"baggage"}:
            # The spans compared were this module's, not the SDK's.
            assert started_here == [RecordedSpan, RecordedSpan]


@pytest.fixture
def seeded() -> Iterator[Callable[[int], None]]:
    """`random.seed`, with the module's state restored afterwards."""
    state = random.getstate()
    yield random.seed
    random.setstate(state)


@pytest.mark.parametrize("sampler", SAMPLERS.values(), ids=SAMPLERS.keys())
@pytest.mark.parametrize("headers", HEADER_CASES.values(), ids=HEADER_CASES.keys())
def test_with_the_sdks_own_id_generator_the_ids_are_the_ones_it_would_draw(
    sampler: Sampler, headers: list[tuple[bytes, bytes]], seeded: Callable[[int], None]
) -> None:
    """The default generator, which a root's ids are drawn for in one call: the same seed gives
    the same trace, span and call ids, flags and decision as when the SDK draws them."""
    for seed in range(8):
        seeded(seed)
        fast = tracing_with(sampler, RandomIdGenerator(), decide_here=True)
        assert fast.head_sampling is not None
        assert fast.head_sampling._bits is not None
        here = one_request(fast, headers)
        seeded(seed)
        sdk = one_request(tracing_with(sampler, RandomIdGenerator(), decide_here=False), headers)
        assert here == sdk


def test_a_zero_span_id_in_the_draw_keeps_the_trace_id_and_draws_the_span_id_again(
    monkeypatch: pytest.MonkeyPatch, seeded: Callable[[int], None]
) -> None:
    """What the SDK's generator does when its span id comes out zero."""
    tracing = tracing_with(DEFAULT_OFF, RandomIdGenerator(), decide_here=True)
    assert tracing.head_sampling is not None
    monkeypatch.setattr(tracing.head_sampling, "_bits", lambda bits: 12345)  # span id bits zero
    seeded(3)
    redrawn = random.getrandbits(64)
    seeded(3)
    context = one_request(tracing, [])["context"]
    assert context[:2] == (12345, redrawn)  # type: ignore[index]


def test_a_span_context_built_here_is_the_apis() -> None:
    state = TraceState([("vendor", "value")])
    for flags in (0x00, 0x01, 0x02, 0x03):
        built = sampling._span_context(7, 9, TraceFlags(flags), state)
        assert built == SpanContext(7, 9, False, TraceFlags(flags), state)
        assert type(built) is SpanContext
        assert built.is_valid
    assert sampling._span_context(7, 9, TraceFlags(1)) == SpanContext(7, 9, False, TraceFlags(1))


@pytest.mark.parametrize(
    "headers",
    [HEADER_CASES[case] for case in ("no trace context", "unsampled parent", "version ff")],
    ids=["no trace context", "unsampled parent", "an ignored traceparent"],
)
def test_a_request_not_recorded_never_reaches_the_sdks_tracer(
    headers: list[tuple[bytes, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The point of deciding here: neither the request's span nor its call's goes through
    `Tracer.start_span` (nor the propagators' `extract`)."""
    tracing = tracing_with(DEFAULT_OFF, RandomIdGenerator(), decide_here=True)

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the SDK was asked")

    monkeypatch.setattr(tracing._tracer, "start_span", refused)
    monkeypatch.setattr(tracing, "_extract", refused)
    seen = one_request(tracing, headers)
    assert seen["recording"] is False
    flags = int(seen["sent"]["traceparent"][-2:], 16)  # type: ignore[index]
    assert not flags & 0x01  # the call carries the decision: not sampled


def test_the_traceparent_pattern_is_the_sdks() -> None:
    """Copied, not imported (the SDK's is a private attribute): an SDK upgrade that changes how
    it reads `traceparent` must show here."""
    sdk = TraceContextTextMapPropagator._TRACEPARENT_HEADER_FORMAT
    assert sampling._TRACEPARENT.pattern == sdk


def test_a_root_is_recorded_on_the_trace_id_it_was_decided_on() -> None:
    """At a ratio, the SDK records a root span only on a trace id below the bound; were the
    decision made on one id and the span started on another, the recorded spans' ids would fall
    on both sides of it (and the rate would be the ratio squared)."""
    ratio = 0.25
    tracing = tracing_with(ParentBasedTraceIdRatio(ratio), RandomIdGenerator(), decide_here=True)
    bound = TraceIdRatioBased.get_bound_for_rate(ratio)
    recorded: list[bool] = []
    for _ in range(2000):
        seen = one_request(tracing, [])
        trace_id = seen["context"][0]  # type: ignore[index]
        assert (trace_id & TraceIdRatioBased.TRACE_ID_LIMIT < bound) == seen["recording"]
        recorded.append(seen["recording"] is True)
    assert 0.2 < sum(recorded) / len(recorded) < 0.3


def test_an_unsampled_request_builds_no_span_in_the_sdk() -> None:
    exporter = InMemorySpanExporter()
    tracing = tracing_with(DEFAULT_OFF, RandomIdGenerator(), decide_here=True)
    tracing.provider.add_span_processor(SimpleSpanProcessor(exporter))
    seen = one_request(tracing, [])
    assert seen["recording"] is False
    assert seen["logged"] is not None
    assert exporter.get_finished_spans() == ()


def test_a_call_outside_any_request_is_left_to_the_sdk() -> None:
    """No current span: a root, which the root sampler decides (here: recorded)."""
    tracing = tracing_with(DEFAULT_ON, RandomIdGenerator(), decide_here=True)
    with tracing.client_call("GET", "http://m/api/movies", "/api/movies", {}) as call:
        assert call.span is not None
        assert call.span.is_recording()


def test_baggage_set_inside_an_unsampled_request_still_travels() -> None:
    tracing = tracing_with(DEFAULT_OFF, RandomIdGenerator(), decide_here=True)
    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    handle = tracing.start_server_span(scope, "r")
    assert handle is not None
    token = context.attach(baggage.set_baggage("tenant", "blue"))
    try:
        sent: dict[str, str] = {}
        with tracing.client_call("GET", "http://m/", "/", sent):
            pass
    finally:
        context.detach(token)
        tracing.end_server_span(handle, "/", 200, None)
    assert sent["baggage"] == "tenant=blue"
    assert sent["traceparent"].endswith("-02")  # random trace id, not sampled


def test_a_call_under_an_unsampled_request_writes_its_headers_without_the_propagators(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tracing = tracing_with(DEFAULT_OFF, RandomIdGenerator(), decide_here=True)
    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    handle = tracing.start_server_span(scope, "r")
    assert handle is not None
    # The comparisons with the SDK above hold these headers to the propagators'; this, that
    # they were written here (the propagators' inject is what the fast path saves).
    monkeypatch.setattr(tracing, "_inject", lambda *args, **kwargs: pytest.fail("injected"))
    try:
        sent: dict[str, str] = {}
        with tracing.client_call("GET", "http://m/", "/", sent) as call:
            assert call.span is not None
            own = call.span.get_span_context()
    finally:
        tracing.end_server_span(handle, "/", 200, None)
    trace_id = handle.span.get_span_context().trace_id
    assert sent == {"traceparent": f"00-{trace_id:032x}-{own.span_id:016x}-02"}


@pytest.mark.parametrize(
    "sampler",
    [
        ALWAYS_ON,  # not parent-based: a sampled parent's child could go unrecorded, and back
        ALWAYS_OFF,
        TraceIdRatioBased(0.5),
        ParentBased(ALWAYS_ON, remote_parent_not_sampled=ALWAYS_ON),
        ParentBased(ALWAYS_ON, local_parent_not_sampled=TraceIdRatioBased(0.5)),
    ],
    ids=lambda s: s.get_description(),
)
def test_other_samplers_are_left_to_the_sdk(sampler: Sampler) -> None:
    provider = TracerProvider(sampler=sampler)
    tracer = get_tracer("t", tracer_provider=provider)
    assert HeadSampling.of(tracer, get_global_textmap().fields) is None


@pytest.mark.parametrize("order", ["baggage,tracecontext", "tracecontext,baggage,b3"])
def test_propagators_in_another_order_are_left_to_the_sdk(
    order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Baggage first, the SDK extracts onto the current context, not an empty one."""
    monkeypatch.setenv("OTEL_PROPAGATORS", order)
    tracer = get_tracer("t", tracer_provider=TracerProvider(sampler=DEFAULT_ON))
    assert HeadSampling.of(tracer, get_global_textmap().fields) is None


def test_other_propagators_and_a_disabled_sdk_are_left_to_the_sdk() -> None:
    provider = TracerProvider(sampler=DEFAULT_ON)
    tracer = get_tracer("t", tracer_provider=provider)
    w3c = TraceContextTextMapPropagator()
    assert HeadSampling.of(tracer, w3c.fields) is not None
    with_xray = CompositePropagator([w3c]).fields | {"x-amzn-trace-id"}
    assert HeadSampling.of(tracer, with_xray) is None
    assert HeadSampling.of(tracer, {"b3"}) is None
    assert HeadSampling.of(NoOpTracer(), w3c.fields) is None  # OTEL_SDK_DISABLED=true
