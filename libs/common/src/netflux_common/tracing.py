"""OpenTelemetry tracing, on only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.

Off, nothing is installed: no tracer provider, no SQL event listeners, no client spans, and
neither requests nor log lines look for a span; the OpenTelemetry SDK is not even imported.
On, each service app gets its own tracer provider (so two apps in one test process do not share
one) exporting in batches over OTLP/HTTP with protobuf — the lighter exporter: it needs
`requests` and `protobuf`, where OTLP/gRPC brings grpcio (a large native wheel, slower to import).
The request bodies are written by `otlp_wire` (see `span_exporter`): the SDK's own encoder cost
more CPU per span than the span.

What is traced: the server span of every request except /actuator/* (probes every few seconds
would drown the traces), each SQL statement (SQLAlchemy engine events, per engine), and the
call to movie-service, which carries the W3C `traceparent` so movie-service's spans join the
caller's trace. The three are written here on the OpenTelemetry API rather than taken from the
instrumentation packages, for their CPU per request (docs/performance.md has the profiles).
The standard OTEL_* variables (OTEL_TRACES_SAMPLER and _ARG, OTEL_EXPORTER_OTLP_HEADERS,
OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES, OTEL_SPAN_*_LIMIT, ...) are read by the SDK. With a
sampler of the usual kind, `netflux_common.sampling` decides and starts the spans itself, for
their CPU; anything else is the SDK's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

# The API only (FastAPI imports it anyway): a no-op without the SDK, which loads only when on.
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import get_current_span as _get_current_span

from netflux_catalogue import ACTUATOR_PREFIX
from netflux_common.logging import set_trace_ids

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, StatusCode
    from opentelemetry.util.types import AnyValue
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.types import Scope


log = logging.getLogger(__name__)

HTTP_SCOPE, SQL_SCOPE = "netflux.http", "netflux.sql"  # the spans' instrumentation scopes


def traces_endpoint(base: str) -> str:
    """OTLP/HTTP's traces URL for a base endpoint, as the specification derives it."""
    return base.rstrip("/") + "/v1/traces"


def _current_ids() -> tuple[str, str] | None:
    """The current span's trace and span ids, for every log line while tracing is on."""
    context = _get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return hex_ids(context.trace_id, context.span_id)


def hex_ids(trace_id: int, span_id: int) -> tuple[str, str]:
    """The ids as W3C `traceparent` and the log lines write them (lower-case, zero-padded)."""
    # bytes.hex() takes half the time of a format spec on a 128-bit int (1.1 us -> 0.5 us).
    return trace_id.to_bytes(16, "big").hex(), span_id.to_bytes(8, "big").hex()


class _AsgiHeaders(Getter[Iterable[tuple[bytes, bytes]]]):
    """The propagators' getter over ASGI headers (a list of lower-case byte pairs)."""

    def get(self, carrier: Iterable[tuple[bytes, bytes]], key: str) -> list[str] | None:
        name = key.encode()
        found = [v.decode("latin-1") for k, v in carrier if k == name]
        return found or None

    def keys(self, carrier: Iterable[tuple[bytes, bytes]]) -> list[str]:
        return [k.decode("latin-1") for k, _ in carrier]


_ASGI_HEADERS = _AsgiHeaders()


@dataclass(slots=True)
class ServerSpan:
    span: Span
    method: str
    token: object  # restores the previous context when the request ends


class ClientCall:
    """One outgoing call's span, used as `with call:` around the call; set `status` once the
    answer is in. An exception leaving the block is recorded on the span. `ClientCall(None)`
    stands in while tracing is off."""

    __slots__ = ("_error", "span", "status")

    def __init__(self, span: Span | None, error: StatusCode | None = None) -> None:
        self.span = span
        self.status: int | None = None
        self._error = error

    def __enter__(self) -> ClientCall:
        return self

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        span = self.span
        if span is None or not span.is_recording():
            return
        if self.status is not None:
            span.set_attribute("http.response.status_code", self.status)
        if error is not None:
            span.record_exception(error)
            span.set_attribute("error.type", type(error).__qualname__)
        # For a client span every 4xx and 5xx is a failure (OpenTelemetry HTTP conventions).
        if (error is not None or (self.status or 0) >= 400) and self._error is not None:
            span.set_status(self._error)
        span.end()


class Tracing:
    """The tracing of one service app; build it with `Tracing.start` (None while tracing is off)."""

    def __init__(self, provider: TracerProvider, *, decide_here: bool = True) -> None:
        """`decide_here=False` leaves every span to the SDK (the tests' reference)."""
        # Bound once here, not imported per request: an import statement in the request path
        # showed as self time of its own in the profile.
        from opentelemetry import context, trace
        from opentelemetry.propagate import extract, get_global_textmap, inject

        from netflux_common.sampling import HeadSampling

        self.provider = provider
        self._tracer = trace.get_tracer(HTTP_SCOPE, tracer_provider=provider)
        fields = get_global_textmap().fields
        self.head_sampling = HeadSampling.of(self._tracer, fields) if decide_here else None
        self._current_span = trace.get_current_span
        self._extract = extract
        self._attach, self._detach = context.attach, context.detach
        self._current_context = context.get_current
        self._in_context = trace.set_span_in_context
        self._inject = inject
        self._server, self._client = trace.SpanKind.SERVER, trace.SpanKind.CLIENT
        self._error = trace.StatusCode.ERROR

    @classmethod
    def start(cls, service_name: str, otlp_endpoint: str | None) -> Tracing | None:
        if not otlp_endpoint:
            return None
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        from netflux_common.span_exporter import WireSpanExporter

        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        exporter = WireSpanExporter(endpoint=traces_endpoint(otlp_endpoint))
        provider.add_span_processor(BatchSpanProcessor(exporter))
        set_trace_ids(_current_ids)
        log.info("tracing on: OTLP/HTTP to %s", traces_endpoint(otlp_endpoint))
        return cls(provider)

    def start_server_span(self, scope: Scope, request_id: str) -> ServerSpan | None:
        """The span of one incoming request, continuing the caller's trace (`traceparent`) and
        current until `end_server_span`; None for /actuator/*.

        Written here rather than taken from opentelemetry-instrumentation-asgi/-fastapi: those
        add two ASGI layers, match the route a second time and collect some twenty attributes
        a request (the URL rebuilt, user agent, peer, header capture), which together cost more
        CPU than serving a cached movie page; this keeps the attributes trace views use.
        """
        path: str = scope["path"]
        if path.startswith(ACTUATOR_PREFIX):
            return None
        method: str = scope["method"]
        attributes: dict[str, AnyValue] = {
            "http.request.method": method,
            "url.path": path,
            "netflux.request_id": request_id,
        }
        if self.head_sampling is not None and (
            started := self.head_sampling.server(scope["headers"], method, attributes)
        ):
            span, context = started
            return ServerSpan(span, method, self._attach(context))
        parent = self._extract(scope["headers"], getter=_ASGI_HEADERS)
        span = self._tracer.start_span(
            method, context=parent, kind=self._server, attributes=attributes
        )
        token = self._attach(self._in_context(span, parent))
        return ServerSpan(span, method, token)

    def end_server_span(
        self, handle: ServerSpan, route: str, status: int, error: BaseException | None
    ) -> None:
        span = handle.span
        if span.is_recording():  # the sampler's choice: nothing below would be kept otherwise
            # Named by route template (bounded, and what trace views group by): known only now.
            span.update_name(f"{handle.method} {route}")
            span.set_attributes({"http.route": route, "http.response.status_code": status})
            if error is not None:
                span.record_exception(error)
            if status >= 500:  # a 4xx is the client's failure, not the server's (semconv)
                span.set_status(self._error)
            span.end()
        self._detach(handle.token)  # type: ignore[arg-type]

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """A span for each statement on `engine` run inside a recorded request, a child of the
        request's span.

        SQLAlchemy's cursor events directly rather than opentelemetry-instrumentation-sqlalchemy:
        its instrumentor is a process-wide singleton that patches create_engine everywhere, and
        its engine tracer also listens to every pool checkout and checkin (for a metric this app
        does not use): in the profile that was as much CPU as the statement spans themselves.
        """
        from opentelemetry.trace import SpanKind, StatusCode, get_current_span, get_tracer
        from sqlalchemy import event

        tracer = get_tracer(SQL_SCOPE, tracer_provider=self.provider)
        head_sampling = self.head_sampling
        sql = head_sampling.source_for(tracer) if head_sampling is not None else None
        url = engine.url
        common: dict[str, str | int] = {
            "db.system": "postgresql",
            "db.name": url.database or "",
            "server.address": url.host or "",
            "server.port": url.port or 5432,
        }
        name = f" {url.database}" if url.database else ""

        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            current = get_current_span()
            if not current.is_recording():
                # Outside a recorded request span: an unsampled request (the same sampler would
                # not sample its statements either: parent-based by the parent, ratio by the
                # same trace id), or no request at all, like the health probes' `SELECT 1`
                # every few seconds, which would otherwise be traces of their own.
                return
            context = args[1]
            operation = statement.lstrip().split(None, 1)[0].upper() if statement else "SQL"
            span_name = operation + name
            attributes: dict[str, AnyValue] = {
                **common,
                "db.statement": statement,
                "db.operation": operation,
            }
            span = None
            if head_sampling is not None:
                span = head_sampling.recorded_child(
                    current, span_name, SpanKind.CLIENT, attributes, sql
                )
            if span is None:
                span = tracer.start_span(span_name, kind=SpanKind.CLIENT, attributes=attributes)
            context._netflux_span = span

        def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if (span := getattr(args[1], "_netflux_span", None)) is not None:
                span.end()

        def failed(error: Any) -> None:
            context = error.execution_context
            if (span := getattr(context, "_netflux_span", None)) is not None:
                span.record_exception(error.original_exception)
                span.set_status(StatusCode.ERROR)
                span.end()

        event.listen(engine.sync_engine, "before_cursor_execute", before)
        event.listen(engine.sync_engine, "after_cursor_execute", after)
        event.listen(engine.sync_engine, "handle_error", failed)

    def client_call(
        self, method: str, url: str, template: str, headers: dict[str, str]
    ) -> ClientCall:
        """The span of one outgoing HTTP call, a child of the current span; the trace context
        (`traceparent`, and whatever else the configured propagators carry) is put in
        `headers`, so the callee's spans join this trace and follow its sampling decision.

        Written here rather than taken from opentelemetry-instrumentation-aiohttp-client: its
        trace config runs aiohttp's tracing hooks on every call and rebuilds the URL's
        attributes each time, several per cent of a customer GET while unsampled.
        """
        head_sampling = self.head_sampling
        current = self._current_context()
        if head_sampling is not None and (span := head_sampling.unrecorded_call(current, headers)):
            return ClientCall(span)
        parent = self._current_span(current)
        if head_sampling is not None and (span := head_sampling.unrecorded_child(parent)):
            self._inject(headers, context=self._in_context(span))
            return ClientCall(span)
        parsed = urlsplit(url)
        name = f"{method} {template}"  # the template, not the URL: bounded, as trace views group
        attributes: dict[str, AnyValue] = {
            "http.request.method": method,
            "url.full": url,
            "url.template": template,
            "server.address": parsed.hostname or "",
            "server.port": parsed.port or (443 if parsed.scheme == "https" else 80),
        }
        span = None
        if head_sampling is not None:
            span = head_sampling.recorded_child(parent, name, self._client, attributes)
        if span is None:
            span = self._tracer.start_span(name, kind=self._client, attributes=attributes)
        self._inject(headers, context=self._in_context(span))
        return ClientCall(span, self._error)

    def shutdown(self) -> None:
        """Export what is still queued, then stop."""
        self.provider.shutdown()
        set_trace_ids(None)
