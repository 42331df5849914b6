"""The sampling decision for a span that will not be recorded, made without the SDK's tracer.

At the sampling the AWS tasks use (a tenth), nine requests in ten are not recorded, and for them
the SDK's `Tracer.start_span` with the propagators' `extract` was most of what tracing cost:
30-40 us a request in a loop for the server span, the log line's ids and the movie-service call's
span and headers (docs/performance.md).

For the configuration the services run with, a parent-based sampler with the specification's
delegates over an always-on, always-off or trace-id-ratio root, and the W3C propagators, the
decision needs only the `traceparent` header and a trace id. `HeadSampling` makes it and builds
the non-recording span itself (14-16 us for the same loop); a span to record, a request carrying
`tracestate` or `baggage`, and any other configuration go to the SDK as before. Tests hold its
decisions, ids, flags and headers to the SDK's own over the header cases (tests/test_sampling.py).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Tracer as SdkTracer
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    TraceFlags,
    Tracer,
    set_span_in_context,
)

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


class ChosenTraceIds(IdGenerator):
    """The provider's id generator, except that the next trace id may be chosen beforehand: the
    one a root span's sampling decision was made on, when the SDK then records that span."""

    def __init__(self, ids: IdGenerator) -> None:
        self.ids = ids
        # Per thread: chosen and used on one thread, with no other span started in between.
        self._chosen = threading.local()

    @property
    def next_trace_id(self) -> int | None:
        return getattr(self._chosen, "trace_id", None)

    @next_trace_id.setter
    def next_trace_id(self, trace_id: int | None) -> None:
        self._chosen.trace_id = trace_id

    def generate_trace_id(self) -> int:
        chosen, self.next_trace_id = self.next_trace_id, None
        return chosen if chosen is not None else self.ids.generate_trace_id()

    def generate_span_id(self) -> int:
        return self.ids.generate_span_id()

    def is_trace_id_random(self) -> bool:
        return self.ids.is_trace_id_random()


class HeadSampling:
    """Decides, for the configuration described above, whether a span is recorded; returns the
    span when it is not, None when the SDK is to build it."""

    __slots__ = ("_bound", "_ids", "_random_flag")

    def __init__(self, root_bound: int, ids: ChosenTraceIds) -> None:
        self._bound = root_bound  # a root span is sampled when its trace id's low 64 bits are below
        self._ids = ids
        self._random_flag = TraceFlags.RANDOM_TRACE_ID if ids.is_trace_id_random() else 0

    @classmethod
    def of(
        cls, tracer: Tracer, ids: ChosenTraceIds, propagator_fields: Iterable[str]
    ) -> HeadSampling | None:
        """For a tracer whose provider was built with `ids`; None unless its sampler and the
        propagators (by the headers they use) are the ones this class decides for."""
        fields = set(propagator_fields)
        if "traceparent" not in fields or not fields <= W3C_FIELDS:
            return None
        # In this order the extracted context starts empty, as `server` builds it (baggage first,
        # the SDK would start from the current one).
        if os.environ.get("OTEL_PROPAGATORS", _W3C_ORDER).replace(" ", "") not in _W3C_ORDERS:
            return None
        # Not the SDK's tracer: OTEL_SDK_DISABLED=true, whose spans carry no ids at all.
        if type(tracer) is not SdkTracer or tracer.id_generator is not ids:
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
        return cls(bound, ids)

    def server(self, headers: Iterable[tuple[bytes, bytes]]) -> tuple[Span, Context] | None:
        """A request's span and the context it runs in, when not recorded; None when the SDK is to
        extract the caller's context and start the span (for a root span, on the trace id decided
        here, so the SDK's decision is this one)."""
        traceparent = None
        for key, value in headers:
            if key == _TRACEPARENT_KEY:
                if traceparent is None:  # the first one counts, as in the propagator
                    traceparent = value
            elif key in _TO_SDK:
                return None
        if traceparent is not None and (parent := _remote_parent(traceparent)) is not None:
            trace_id, flags = parent
            if flags & TraceFlags.SAMPLED:
                return None
            own_flags = flags & TraceFlags.RANDOM_TRACE_ID
        else:  # no parent, or one the propagator would ignore: a root span
            trace_id = self._ids.generate_trace_id()
            if trace_id & TraceIdRatioBased.TRACE_ID_LIMIT < self._bound:
                self._ids.next_trace_id = trace_id
                return None
            own_flags = self._random_flag
        span = NonRecordingSpan(
            SpanContext(trace_id, self._ids.generate_span_id(), False, TraceFlags(own_flags))
        )
        return span, set_span_in_context(span, Context())

    def forget(self) -> None:
        """Drop a trace id chosen by `server` that the SDK did not use (it generates none when
        it finds a parent after all, or when the tracer is disabled)."""
        self._ids.next_trace_id = None

    def child(self, parent: Span) -> Span | None:
        """A span under `parent` (the current one) when not recorded; None for the SDK to build."""
        context = parent.get_span_context()
        if parent.is_recording() or not context.is_valid or context.trace_flags.sampled:
            return None
        flags = TraceFlags(context.trace_flags & TraceFlags.RANDOM_TRACE_ID)
        own = SpanContext(
            context.trace_id, self._ids.generate_span_id(), False, flags, context.trace_state
        )
        return NonRecordingSpan(own)


def _remote_parent(header: bytes) -> tuple[int, int] | None:
    """(trace id, flags) of a `traceparent` value, or None where the propagator ignores it."""
    match = _TRACEPARENT.search(header.decode("latin-1"))
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if trace_id == _ZERO_TRACE or span_id == _ZERO_SPAN or version == "ff":
        return None
    if version == "00" and rest:
        return None
    return int(trace_id, 16), int(flags, 16)
