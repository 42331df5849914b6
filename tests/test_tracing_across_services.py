"""One customer GET is one trace across two real service processes, with the SQL spans, and
both services' JSON log lines carry its trace id and the request id.

The services export over OTLP/HTTP to a stand-in collector in this test process, exactly as
they would to an ADOT sidecar: the trace context really crosses process boundaries (customer ->
movie in `traceparent`, both -> the collector in OTLP).
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan

from netflux_devstack.otlp import OtlpSink, otlp_sink
from netflux_devstack.polling import wait_until
from netflux_devstack.pytest_plugin import TestDatabase
from netflux_devstack.testing import service_process


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]


def spans_of(sink: OtlpSink) -> list[Span]:
    spans = []
    for body in sink.received():
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    attributes = {
                        a.key: a.value.string_value or a.value.int_value for a in span.attributes
                    }
                    spans.append(
                        Span(
                            resource["service.name"],
                            span.name,
                            span.kind,
                            span.trace_id.hex(),
                            span.span_id.hex(),
                            span.parent_span_id.hex(),
                            attributes,
                        )
                    )
    return spans


def log_lines(log: IO[bytes]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(log.name).read_text().splitlines() if line.strip()]


@dataclass
class Services:
    customer: str
    movie: str
    sink: OtlpSink
    movie_log: IO[bytes]
    customer_log: IO[bytes]


@contextlib.contextmanager
def traced_services(netflux_db: TestDatabase, tmp_path: Path) -> Iterator[Services]:
    """Both services as processes, exporting to one stand-in collector; on leaving, stopped
    (SIGTERM), so everything they queued has been exported and logged."""
    traced = {"LOG_LEVEL": "INFO", "LOG_FORMAT": "json", "OTEL_BSP_SCHEDULE_DELAY": "50"}
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(otlp_sink())
        env = {**traced, "OTEL_EXPORTER_OTLP_ENDPOINT": sink.endpoint}
        movie_log = stack.enter_context((tmp_path / "movie.log").open("wb"))
        customer_log = stack.enter_context((tmp_path / "customer.log").open("wb"))
        movie, _ = stack.enter_context(
            service_process(
                "movie_service", {**env, "DATABASE_URL": netflux_db.movie_url}, stdout=movie_log
            )
        )
        customer, _ = stack.enter_context(
            service_process(
                "customer_service",
                {**env, "DATABASE_URL": netflux_db.customer_url, "MOVIE_SERVICE_URL": movie},
                stdout=customer_log,
            )
        )
        yield Services(customer, movie, sink, movie_log, customer_log)


def test_a_customer_get_is_one_trace_across_both_services(
    netflux_db: TestDatabase, tmp_path: Path
) -> None:
    with traced_services(netflux_db, tmp_path) as services:
        customer, movie, sink = services.customer, services.movie, services.sink
        customer_log, movie_log = services.customer_log, services.movie_log
        response = httpx.get(
            f"{customer}/api/customers/2", headers={"X-Request-ID": "trace-me-1"}, timeout=10
        )
        assert response.status_code == 200

        def server_spans() -> dict[str, Span]:
            found = {s.service: s for s in spans_of(sink) if s.kind == ProtoSpan.SPAN_KIND_SERVER}
            return found if len(found) == 2 else {}

        wait_until(lambda: bool(server_spans()), timeout=10, what="both services' server spans")
    # The services have stopped (SIGTERM): everything they queued has been exported and logged.

    servers = server_spans()
    trace_id = servers["customer-service"].trace_id
    trace = [s for s in spans_of(sink) if s.trace_id == trace_id]
    by_service: dict[str, list[Span]] = defaultdict(list)
    for span in trace:
        by_service[span.service].append(span)

    assert set(by_service) == {"customer-service", "movie-service"}
    customer_server = servers["customer-service"]
    assert customer_server.name == "GET /api/customers/{customer_id}"
    assert customer_server.parent_id == ""  # the trace starts here
    assert customer_server.attributes["netflux.request_id"] == "trace-me-1"
    # customer -> movie: the client span's id is the parent of movie-service's server span.
    (client,) = [
        s
        for s in by_service["customer-service"]
        if s.kind == ProtoSpan.SPAN_KIND_CLIENT and "db.system" not in s.attributes
    ]
    assert client.parent_id == customer_server.span_id
    assert client.name == "GET /api/movies/{genre}"
    assert client.attributes["http.response.status_code"] == 200
    assert str(client.attributes["url.full"]).startswith(f"{movie}/api/movies/")
    movie_server = servers["movie-service"]
    assert movie_server.trace_id == trace_id
    assert movie_server.parent_id == client.span_id
    assert movie_server.name == "GET /api/movies/{genre}"
    # The SQL of both services, each under its own server span.
    for service, table in (("customer-service", "customer"), ("movie-service", "movie")):
        (sql,) = [s for s in by_service[service] if "db.system" in s.attributes]
        assert sql.attributes["db.system"] == "postgresql"
        assert table in str(sql.attributes.get("db.statement", "")).lower()
        assert sql.parent_id == servers[service].span_id
    # The health checks service_process polled are not traced, nor their `SELECT 1`: every
    # span is a request's server span or below one.
    assert not any("actuator" in s.name for s in spans_of(sink))
    assert all(s.parent_id or s.kind == ProtoSpan.SPAN_KIND_SERVER for s in spans_of(sink))

    # Both services' request lines are JSON with the trace and the request id passed along.
    for log, path in ((customer_log, "/api/customers/2"), (movie_log, "/api/movies/")):
        lines = log_lines(log)
        (request_line,) = [line for line in lines if line.get("path", "").startswith(path)]
        assert request_line["trace_id"] == trace_id
        assert request_line["request_id"] == "trace-me-1"
        assert request_line["status"] == 200
        assert request_line["span_id"] in {s.span_id for s in trace}


def test_a_callers_decision_not_to_sample_is_followed_by_both_services(
    netflux_db: TestDatabase, tmp_path: Path
) -> None:
    """A caller (another service, a client) that did not sample the request says so in
    `traceparent` (flags 00): neither service records a span of it, SQL included, yet the
    trace id still reaches movie-service and both services' log lines, so logs stay joinable."""
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    with traced_services(netflux_db, tmp_path) as services:
        for customer_id, flags in ((3, "00"), (4, "01")):
            response = httpx.get(
                f"{services.customer}/api/customers/{customer_id}",
                headers={
                    "traceparent": f"00-{trace_id[:-1]}{customer_id}-00f067aa0ba902b7-{flags}"
                },
                timeout=10,
            )
            assert response.status_code == 200
        sampled = trace_id[:-1] + "4"
        wait_until(
            lambda: any(s.trace_id == sampled for s in spans_of(services.sink)),
            timeout=10,
            what="the sampled request's spans",
        )
    traces = {s.trace_id for s in spans_of(services.sink)}
    assert traces == {sampled}  # the sampled request is traced: the sink is listening
    not_sampled = trace_id[:-1] + "3"
    for log, path in (
        (services.customer_log, "/api/customers/3"),
        (services.movie_log, "/api/movies/"),
    ):
        lines = [line for line in log_lines(log) if line.get("path", "").startswith(path)]
        assert not_sampled in {line["trace_id"] for line in lines}
