"""OpenTelemetry tracing, on only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.

Off, nothing is installed: no tracer provider, no middleware, no SQL event listeners, no aiohttp
trace config, and log lines do not look for a span; the OpenTelemetry SDK is not even imported.
On, each service app gets its own tracer provider (so two apps in one test process do not share
one) exporting in batches over OTLP/HTTP with protobuf — the lighter exporter: it needs
`requests` and `protobuf`, where OTLP/gRPC brings grpcio (a large native wheel, slower to import).

What is traced: the server span of every request except /actuator/* (probes every few seconds
would drown the traces), each SQL statement (SQLAlchemy engine events, per engine), and the
aiohttp call to movie-service, which carries the W3C `traceparent` so movie-service's spans join
the caller's trace. The standard OTEL_* variables (OTEL_TRACES_SAMPLER, OTEL_EXPORTER_OTLP_HEADERS,
OTEL_BSP_SCHEDULE_DELAY, OTEL_RESOURCE_ATTRIBUTES, ...) are read by the SDK as usual.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from netflux_common.logging import set_trace_ids

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

NOT_TRACED_URLS = "/actuator/"  # a regular expression searched in the URL


def traces_endpoint(base: str) -> str:
    """OTLP/HTTP's traces URL for a base endpoint, as the specification derives it."""
    return base.rstrip("/") + "/v1/traces"


def _current_ids() -> tuple[str, str] | None:
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


class Tracing:
    """The tracing of one service app; build it with `Tracing.start` (None while tracing is off)."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider

    @classmethod
    def start(cls, service_name: str, otlp_endpoint: str | None) -> Tracing | None:
        if not otlp_endpoint:
            return None
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        exporter = OTLPSpanExporter(endpoint=traces_endpoint(otlp_endpoint))
        provider.add_span_processor(BatchSpanProcessor(exporter))
        set_trace_ids(_current_ids)
        log.info("tracing on: OTLP/HTTP to %s", traces_endpoint(otlp_endpoint))
        return cls(provider)

    def instrument_app(self, app: FastAPI) -> None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from opentelemetry.metrics import NoOpMeterProvider

        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.provider,
            # Metrics come from /actuator/prometheus, not from OpenTelemetry.
            meter_provider=NoOpMeterProvider(),
            excluded_urls=NOT_TRACED_URLS,
            # One server span a request: the per-message send/receive spans double the spans
            # (and their cost) and say nothing a request's duration does not.
            exclude_spans=["receive", "send"],
        )

    def instrument_engine(self, engine: AsyncEngine) -> None:
        # EngineTracer directly rather than SQLAlchemyInstrumentor: the instrumentor is a
        # process-wide singleton that also patches create_engine everywhere; this instruments
        # exactly the engines a service opens, with this app's provider.
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
        from opentelemetry.metrics import NoOpMeterProvider
        from opentelemetry.trace import get_tracer

        tracer = get_tracer("netflux.sql", tracer_provider=self.provider)
        unused = NoOpMeterProvider().get_meter("netflux.sql").create_up_down_counter("unused")
        EngineTracer(tracer, engine.sync_engine, unused)  # type: ignore[no-untyped-call]

    def client_trace_configs(self) -> list[Any]:
        """aiohttp trace configs that make a span per outgoing call and send `traceparent`."""
        from opentelemetry.instrumentation.aiohttp_client import create_trace_config
        from opentelemetry.metrics import NoOpMeterProvider

        return [
            create_trace_config(tracer_provider=self.provider, meter_provider=NoOpMeterProvider())
        ]

    def shutdown(self) -> None:
        """Export what is still queued, then stop."""
        self.provider.shutdown()
        set_trace_ids(None)
