"""A recorded span lighter than the SDK's, for the spans `HeadSampling` decides to record.

Why: at a tenth sampled, a recorded span cost far more in the running service than in a loop
(movie page: x1.16-1.17 of the untraced CPU in one scratch run, against x0.97-1.09 with nothing
recorded in others), and building the same span here instead of through `Tracer.start_span` took
it to x1.07-1.08 in that run (docs/performance.md). The SDK's path runs the propagators'
`extract`, the sampler a second time, a span with a lock, bounded attribute and event containers
with locks of their own, and at the end a second, read-only copy of the span for the processors;
this one is a single object with a plain dict, handed to the same processors.

It is the SDK's `ReadableSpan` (its fields, set directly) and the API's `Span`. Scope, limits and
processors are the SDK tracer's own (`SpanSource`); rare operations (events, links, a mapping with
keys that are not strings, an attribute of another type, more attributes than the limit) go
through the SDK's own bounded containers and checks. Tests run the same operations through both
and compare what is exported, the span contexts, the scopes and what processors are given
(tests/test_spans.py). Imports the SDK: only imported when tracing is on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from time import time_ns
from types import TracebackType
from typing import TypeVar

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits, Tracer, _is_valid_link
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import Link, Span, SpanContext, SpanKind, Status, StatusCode
from opentelemetry.util import types

log = logging.getLogger(__name__)

T = TypeVar("T")
_UNSET = Status(StatusCode.UNSET)
_PLAIN = (str, bool, int, float)  # stored as given by the SDK too (no length limit applies)


class RecordedSpan(Span, ReadableSpan):
    """A started, recording span; `end()` hands it to the provider's processors.

    No locks, where the SDK's span takes one per change: a request's spans are changed by the
    one task serving it, and each dict operation is atomic under the GIL.
    """

    def __init__(
        self,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        kind: SpanKind,
        attributes: Mapping[str, types.AnyValue],
        source: SpanSource,
        parent_context: Context | None,
    ) -> None:
        # ReadableSpan's fields (opentelemetry-sdk 1.45), its properties read them.
        self._name = name
        self._context = context
        self._parent = parent
        self._kind = kind
        self._attributes: dict[str, types.AnyValue] | BoundedAttributes = {}
        self._events: Sequence[Event] = ()
        self._links: Sequence[Link] = ()
        self._status = _UNSET
        tracer = source.tracer
        self._resource = tracer.resource  # read per span: the SDK replaces it after a fork
        self._instrumentation_scope = source.scope
        self._instrumentation_info = source.info
        self._end_time: int | None = None
        self._source = source
        self.set_attributes(attributes)
        self._start_time: int | None = time_ns()
        source.processor.on_start(self, parent_context=parent_context)  # type: ignore[arg-type]

    @property
    def dropped_attributes(self) -> int:
        attributes = self._attributes
        return attributes.dropped if isinstance(attributes, BoundedAttributes) else 0

    def get_span_context(self) -> SpanContext:
        return self._context  # type: ignore[return-value]  # never None here

    def is_recording(self) -> bool:
        return self._end_time is None

    def _ended(self, what: str) -> bool:
        if self._end_time is None:
            return False
        log.warning("%s on an ended span.", what)  # as the SDK's span does
        return True

    def set_attributes(self, attributes: Mapping[str, types.AnyValue]) -> None:
        if self._ended("Setting attribute"):
            return
        current = self._attributes
        if (
            type(current) is dict
            and len(current) + len(attributes) <= self._source.max_attributes
            and all(type(k) is str and k and type(v) in _PLAIN for k, v in attributes.items())
        ):
            for key, value in attributes.items():
                current.pop(key, None)  # a key set again moves to the end, as in the SDK's
                current[key] = value
            return
        # The mapping as a whole, as the SDK's span sets it (keys that are not strings are
        # converted there, where `set_attribute` drops them).
        self._bounded()._set_items(attributes)

    def set_attribute(self, key: str, value: types.AnyValue) -> None:
        if self._ended("Setting attribute"):
            return
        current = self._attributes
        if type(current) is dict and type(value) in _PLAIN and type(key) is str and key:
            current.pop(key, None)
            if len(current) < self._source.max_attributes:
                current[key] = value
                return
        self._bounded()[key] = value

    def _bounded(self) -> BoundedAttributes:
        """The attributes in the SDK's own container, from the first change the plain dict does
        not take (a sequence, an invalid key or value, past the limit) to the end: it cleans,
        truncates, evicts and counts as for the SDK's spans."""
        current = self._attributes
        if isinstance(current, BoundedAttributes):
            return current
        limits = self._source.limits
        self._attributes = bounded = BoundedAttributes(
            limits.max_span_attributes,
            current,
            immutable=False,
            max_value_len=limits.max_span_attribute_length,
        )
        return bounded

    def update_name(self, name: str) -> None:
        if not self._ended("Calling update_name"):
            self._name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self._ended("Calling set_status"):
            return
        # The SDK's rules: OK is final, UNSET is ignored, a description goes with a code only.
        if self._status.status_code is StatusCode.OK:
            return
        if isinstance(status, Status):
            if status.status_code is StatusCode.UNSET:
                return
            if description is not None:
                log.warning(
                    "Description %s ignored. Use either `Status` or `(StatusCode, Description)`",
                    description,
                )
            self._status = status
        elif status is not StatusCode.UNSET:
            self._status = Status(status, description)

    def add_event(
        self, name: str, attributes: types.Attributes = None, timestamp: int | None = None
    ) -> None:
        if self._ended("Calling add_event"):
            return
        limits = self._source.limits
        bounded = self._frozen(limits.max_event_attributes, attributes)
        event = Event(name=name, attributes=bounded, timestamp=timestamp)
        self._events = _appended(self._events, limits.max_events, event)

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        if self._ended("Calling add_link"):
            return
        if not _is_valid_link(context, attributes):
            return
        limits = self._source.limits
        link = Link(
            context=context, attributes=self._frozen(limits.max_link_attributes, attributes)
        )
        self._links = _appended(self._links, limits.max_links, link)

    def _frozen(self, most: int | None, attributes: types.Attributes) -> BoundedAttributes:
        """An event's or link's attributes, bounded as the SDK bounds them."""
        length = self._source.limits.max_attribute_length
        return BoundedAttributes(most, attributes, max_value_len=length, immutable=True)

    # The SDK's own: it builds the exception event's attributes and calls `add_event`.
    record_exception = SdkSpan.record_exception

    def end(self, end_time: int | None = None) -> None:
        if self._ended("Calling end()"):
            return
        self._end_time = end_time if end_time is not None else time_ns()
        processor = self._source.processor
        processor._on_ending(self)  # type: ignore[arg-type]  # the SDK's span calls it too
        # This span, not a copy: nothing changes it once ended (every setter checks).
        processor.on_end(self)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # As the SDK's span used as a context manager: the exception recorded, the status set.
        if error is not None and self.is_recording():
            self.record_exception(error, escaped=True)  # type: ignore[misc]
            self.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        self.end()

    def __repr__(self) -> str:
        return f'RecordedSpan(name="{self._name}", context={self._context})'


def _appended(items: Sequence[T], most: int | None, item: T) -> BoundedList[T]:
    """`items` with `item` appended, in the SDK's bounded list (made on the first append: most
    spans have no events or links)."""
    bounded: BoundedList[T] = items if isinstance(items, BoundedList) else BoundedList(most)
    bounded.append(item)
    return bounded


class SpanSource:
    """What the recorded spans of one SDK tracer share: its processors, limits and scope."""

    __slots__ = ("info", "limits", "max_attributes", "processor", "scope", "tracer")

    def __init__(self, tracer: Tracer) -> None:
        # Private attributes of the SDK's tracer (opentelemetry-sdk 1.45): the tests compare
        # the spans and their scope, limits and resource with the tracer's own.
        self.tracer = tracer
        self.processor = tracer.span_processor
        self.limits: SpanLimits = tracer._span_limits
        self.scope = tracer._instrumentation_scope
        self.info = tracer.instrumentation_info
        # Past this many, attributes go to the SDK's bounded container, which evicts and counts;
        # with a length limit all of them do (it truncates).
        most = self.limits.max_span_attributes
        if self.limits.max_span_attribute_length is not None:
            most = 0
        self.max_attributes = most if most is not None else 1 << 62
