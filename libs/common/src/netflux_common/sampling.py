"""Starting spans without the SDK's tracer, for the configuration the services run with.

At the sampling the AWS tasks use (a tenth), nine requests in ten are not recorded, and for them
the SDK's `Tracer.start_span` with the propagators' `extract` was most of what tracing cost:
30-40 us a request in a loop for the server span, the log line's ids and the movie-service call's
span and headers. The tenth that is recorded cost more still: in the running service a recorded
span through the SDK cost several times what it costs in a loop (docs/performance.md).

For a parent-based sampler with the specification's delegates over an always-on, always-off or
trace-id-ratio root, and the W3C propagators, the decision needs only the `traceparent` header
and a trace id. `HeadSampling` makes it and starts the span itself: the API's non-recording span
when not sampled (14-16 us for the loop above), a `spans.RecordedSpan` when sampled, handed to
the provider's processors like the SDK's. A request carrying `tracestate` or `baggage`, the
children of a span the SDK started, and any other configuration go to the SDK. Tests hold the
decisions, ids, flags, headers and exported spans to the SDK's own over the header cases
(tests/test_sampling.py, tests/test_spans.py).
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable, Iterable, Mapping

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Tracer as SdkTracer
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import (
    INVALID_SPAN,
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    TraceFlags,
    Tracer,
    set_span_in_context,
)
from opentelemetry.trace.span import DEFAULT_TRACE_STATE, TraceState
from opentelemetry.util.types import AnyValue

from netflux_common.spans import RecordedSpan, SpanSource
from netflux_common.tracing import hex_ids

# ParentBased's own description when its delegates are the specification's defaults (follow a
# parent's decision, local or remote); group 1 names the root sampler, group 2 a ratio's rate.
_PARENT_BASED = re.compile(
    r"ParentBased\{root:(AlwaysOnSampler|AlwaysOffSampler|TraceIdRatioBased\{(.+)\}),"
    r"remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,"
    r"localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler\}"
)
# `traceparent` as the SDK's TraceContextTextMapPropagator reads it (version, trace id, parent
# span id, flags, and what a later version may append).
_TRACEPARENT = re.compile(
    "^[ \t]*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?[ \t]*$"
)
# The W3C propagators' headers (OTEL_PROPAGATORS's default, `tracecontext,baggage`).
W3C_FIELDS = frozenset({"traceparent", "tracestate", "baggage"})
_W3C_ORDER = "tracecontext,baggage"
_W3C_ORDERS = frozenset({_W3C_ORDER, "tracecontext"})
_TRACEPARENT_KEY = b"traceparent"
_TO_SDK = frozenset({b"tracestate", b"baggage"})  # parsed only by the SDK's propagators
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16
# The key a span is kept under in a context, learnt through the public API once.
_SPAN_KEY = next(iter(set_span_in_context(INVALID_SPAN, Context())))
# A lookup rather than constructing the int subclass for each request.
_FLAGS = tuple(TraceFlags(flags) for flags in range(256))
_TRACE_BITS = 128
_TRACE_MASK = (1 << _TRACE_BITS) - 1


class HeadSampling:
    """Starts the spans of one tracer provider configured as described above: a span the sampler
    would not record as the API's `NonRecordingSpan`, one it would as a `RecordedSpan`; None
    where the SDK is to start it (a request with `tracestate` or `baggage`, the child of a span
    the SDK started)."""

    __slots__ = ("_bits", "_bound", "_ids", "_random_flag", "source")

    def __init__(self, root_bound: int, tracer: SdkTracer) -> None:
        self._bound = root_bound  # a root span is sampled when its trace id's low 64 bits are below
        self._ids = ids = tracer.id_generator
        self._random_flag = TraceFlags.RANDOM_TRACE_ID if ids.is_trace_id_random() else 0
        # With the SDK's default generator, a root's trace and span ids come from one draw:
        # `getrandbits(192)` yields the bits of `getrandbits(128)` then `getrandbits(64)`, the
        # generator's two calls, so the ids are the ones it would give.
        self._bits: Callable[[int], int] | None = (
            random.getrandbits if type(ids) is RandomIdGenerator else None
        )
        self.source = SpanSource(tracer)  # the recorded spans' scope, processors and limits

    @staticmethod
    def source_for(tracer: Tracer) -> SpanSource:
        """The recorded spans' source for another tracer of the same provider."""
        assert isinstance(tracer, SdkTracer)  # the provider's tracers are all the SDK's
        return SpanSource(tracer)

    @classmethod
    def of(cls, tracer: Tracer, propagator_fields: Iterable[str]) -> HeadSampling | None:
        """For the SDK tracer `tracer` (any of its provider's); None unless its sampler and the
        propagators (by the headers they use) are the ones this class decides for."""
        fields = set(propagator_fields)
        if "traceparent" not in fields or not fields <= W3C_FIELDS:
            return None
        # In this order the extracted context starts empty, as `server` builds it (baggage first,
        # the SDK would start from the current one).
        if os.environ.get("OTEL_PROPAGATORS", _W3C_ORDER).replace(" ", "") not in _W3C_ORDERS:
            return None
        # Not the SDK's tracer: OTEL_SDK_DISABLED=true, whose spans carry no ids at all.
        if type(tracer) is not SdkTracer:
            return None
        sampler = tracer.sampler
        # ParentBased, or a subclass that only presets the root (the SDK's ParentBasedTraceIdRatio)
        if not isinstance(sampler, ParentBased) or (
            type(sampler).should_sample is not ParentBased.should_sample
        ):
            return None
        # The delegates are private attributes; the description names them all (public API).
        description: str = sampler.get_description()  # type: ignore[no-untyped-call]
        described = _PARENT_BASED.fullmatch(description)
        if described is None:
            return None
        root, rate = described.groups()
        if rate is not None:
            bound = TraceIdRatioBased.get_bound_for_rate(float(rate))
        else:
            bound = TraceIdRatioBased.TRACE_ID_LIMIT + 1 if root == "AlwaysOnSampler" else 0
        return cls(bound, tracer)

    def server(
        self,
        headers: Iterable[tuple[bytes, bytes]],
        name: str,
        attributes: Mapping[str, AnyValue],
    ) -> tuple[Span, Context] | None:
        """A request's span, started, and the context it runs in; None when the SDK is to
        extract the caller's context and start the span."""
        traceparent = None
        for key, value in headers:
            if key == _TRACEPARENT_KEY:
                if traceparent is None:  # the first one counts, as in the propagator
                    traceparent = value
            elif key in _TO_SDK:
                return None
        parent = None
        span_id = 0
        if traceparent is not None and (found := _remote_parent(traceparent)) is not None:
            trace_id, parent_id, flags = found
            recorded = bool(flags & TraceFlags.SAMPLED)
            own_flags = flags & TraceFlags.RANDOM_TRACE_ID
            if recorded:
                parent = SpanContext(trace_id, parent_id, True, _FLAGS[flags])
        else:  # no parent, or one the propagator would ignore: a root span
            trace_id = 0
            if self._bits is not None:
                bits = self._bits(_TRACE_BITS + 64)
                trace_id, span_id = bits & _TRACE_MASK, bits >> _TRACE_BITS
            if not trace_id:  # another generator; or a zero trace id (2^-128), redrawn
                trace_id = self._ids.generate_trace_id()
            # A zero span id is drawn again below, as the generator itself would.
            recorded = trace_id & TraceIdRatioBased.TRACE_ID_LIMIT < self._bound
            own_flags = self._random_flag
        context = _span_context(
            trace_id,
            span_id or self._ids.generate_span_id(),
            _FLAGS[own_flags | TraceFlags.SAMPLED if recorded else own_flags],
        )
        if not recorded:
            span: Span = _Unrecorded(context)
            return span, Context({_SPAN_KEY: span})
        # What the SDK's processors get as the parent context: the caller's, as extracted.
        extracted = Context()
        if parent is not None:
            extracted = Context({_SPAN_KEY: NonRecordingSpan(parent)})
        span = RecordedSpan(
            name, context, parent, SpanKind.SERVER, attributes, self.source, extracted
        )
        return span, Context({_SPAN_KEY: span})

    def unrecorded_call(self, current: Context, headers: dict[str, str]) -> Span | None:
        """`unrecorded_child` for a call, with the headers the W3C propagators would write
        for it, when the `current` context is one `server` made for a request it did not
        record, unchanged: the span is all it holds (no trace state, no baggage: requests with
        those go to the SDK). In the running customer-service the propagators' `inject` was
        most of a call's tracing."""
        parent = current.get(_SPAN_KEY)
        if type(parent) is not _Unrecorded or len(current) != 1:
            return None
        context = parent.get_span_context()
        trace_id, flags = context.trace_id, context.trace_flags
        span_id = self._ids.generate_span_id()
        trace_hex, span_hex = hex_ids(trace_id, span_id)
        headers["traceparent"] = f"00-{trace_hex}-{span_hex}-{flags:02x}"
        return NonRecordingSpan(_span_context(trace_id, span_id, flags))

    def unrecorded_child(self, parent: Span) -> Span | None:
        """A span under `parent` (the current one) when the sampler would not record it."""
        context = parent.get_span_context()
        if parent.is_recording() or not context.is_valid or context.trace_flags.sampled:
            return None
        flags = _FLAGS[context.trace_flags & TraceFlags.RANDOM_TRACE_ID]
        own = _span_context(
            context.trace_id, self._ids.generate_span_id(), flags, context.trace_state
        )
        return NonRecordingSpan(own)

    def recorded_child(
        self,
        parent: Span,
        name: str,
        kind: SpanKind,
        attributes: Mapping[str, AnyValue],
        source: SpanSource | None = None,
    ) -> Span | None:
        """A span under `parent`, started, when `parent` is one of these recorded spans; None for
        the SDK to start (under a span the SDK started, or one that has ended)."""
        if not isinstance(parent, RecordedSpan) or not parent.is_recording():
            return None
        context = parent.get_span_context()
        # Parent-based on a sampled local parent: recorded, in the parent's trace state.
        flags = TraceFlags(TraceFlags.SAMPLED | context.trace_flags & TraceFlags.RANDOM_TRACE_ID)
        own = SpanContext(
            context.trace_id, self._ids.generate_span_id(), False, flags, context.trace_state
        )
        # The parent context the SDK's processors get is the one passed to `start_span`: none.
        return RecordedSpan(name, own, context, kind, attributes, source or self.source, None)


class _Unrecorded(NonRecordingSpan):
    """A request's span that `server` decided not to record: its context carries nothing but
    the span (see `unrecorded_call`)."""

    __slots__ = ()


def _span_context(
    trace_id: int, span_id: int, flags: TraceFlags, state: TraceState = DEFAULT_TRACE_STATE
) -> SpanContext:
    """A local span's context for valid (non-zero, in range) ids: the tuple `SpanContext`
    builds, without its Python-level checks and defaults (a tenth of deciding for a request
    not sampled, in the running service). Tests compare it with the SDK's."""
    return tuple.__new__(SpanContext, (trace_id, span_id, False, flags, state, True))


def _remote_parent(header: bytes) -> tuple[int, int, int] | None:
    """(trace id, span id, flags) of a `traceparent` value, or None where the propagator
    ignores it."""
    match = _TRACEPARENT.search(header.decode("latin-1"))
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if trace_id == _ZERO_TRACE or span_id == _ZERO_SPAN or version == "ff":
        return None
    if version == "00" and rest:
        return None
    return int(trace_id, 16), int(span_id, 16), int(flags, 16)
