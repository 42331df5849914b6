"""bench.switchable: services whose tracing work a request signals turn off and on, which the
bench's in-process measurement of tracing relies on (a switch that did nothing would read x1,
one that left a span on would read low)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan

from bench.switchable import MARK, OFF, ON, RECORD
from netflux_devstack.otlp import OtlpSink, otlp_sink
from netflux_devstack.polling import wait_until
from netflux_devstack.pytest_plugin import TestDatabase
from netflux_devstack.testing import service_process

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Exported:
    service: str
    kind: int
    trace_id: str
    request_id: str | None  # server spans carry the request's
    sql: bool


def exported(sink: OtlpSink) -> list[Exported]:
    found = []
    for body in sink.received():
        for resource in ExportTraceServiceRequest.FromString(body).resource_spans:
            service = next(
                a.value.string_value
                for a in resource.resource.attributes
                if a.key == "service.name"
            )
            for scope in resource.scope_spans:
                for span in scope.spans:
                    attributes = {a.key: a.value.string_value for a in span.attributes}
                    found.append(
                        Exported(
                            service,
                            span.kind,
                            span.trace_id.hex(),
                            attributes.get("netflux.request_id"),
                            "db.system" in attributes,
                        )
                    )
    return found


def traced(sink: OtlpSink) -> set[str]:
    """The request ids of the server spans exported to `sink`."""
    return {span.request_id for span in exported(sink) if span.request_id is not None}


def switchable_env(sink: OtlpSink, record: Path, database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "OTEL_EXPORTER_OTLP_ENDPOINT": sink.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        RECORD: str(record),
    }


def switchable(service: str) -> list[str]:
    return [sys.executable, "-m", "bench.switchable", service]


def signal_recorded(proc: subprocess.Popen[bytes], record: Path, signum: int) -> None:
    """Sends a signal and waits for the process to have recorded it."""
    lines = len(recorded(record))
    proc.send_signal(signum)
    wait_until(lambda: len(recorded(record)) > lines, timeout=5, what=f"the record of {signum}")


def recorded(record: Path) -> list[list[str]]:
    return [line.split() for line in record.read_text().splitlines()] if record.exists() else []


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    with otlp_sink() as running:
        yield running


def test_signals_switch_the_spans_and_log_ids_off_and_back_on_and_are_recorded(
    netflux_db: TestDatabase, sink: OtlpSink, tmp_path: Path
) -> None:
    record = tmp_path / "switches"
    env = {
        **switchable_env(sink, record, netflux_db.movie_url),
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
    }
    log = tmp_path / "movie.log"
    with (
        log.open("wb") as out,
        service_process("movie_service", env, stdout=out, command=switchable("movie-service")) as (
            url,
            proc,
        ),
    ):

        def request(rid: str) -> None:
            answer = httpx.get(f"{url}/api/movies/DRAMA", headers={"X-Request-ID": rid}, timeout=5)
            assert answer.status_code == 200

        request("on-1")
        signal_recorded(proc, record, OFF)
        request("off-1")
        signal_recorded(proc, record, OFF)  # a state, not a toggle: still off
        request("off-2")
        signal_recorded(proc, record, MARK)
        signal_recorded(proc, record, ON)
        request("on-2")
        wait_until(lambda: "on-2" in traced(sink), timeout=10, what="a span once back on")
    # Stopped (SIGTERM): everything the service queued has been exported.
    assert traced(sink) == {"on-1", "on-2"}

    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    access = {x["request_id"]: x for x in lines if x.get("logger") == "netflux.access"}
    assert {"on-1", "off-1", "off-2", "on-2"} <= access.keys()
    with_ids = {rid for rid, line in access.items() if "trace_id" in line}
    assert with_ids & {"on-1", "off-1", "off-2", "on-2"} == {"on-1", "on-2"}

    # What the bench takes each phase's CPU per request from: the state, CPU, answers.
    records = recorded(record)
    assert [state for state, _, _, _ in records] == ["off", "off", "off", "on"]
    cpu, main = ([int(row[column]) for row in records] for column in (1, 2))
    answered = [int(n) for _, _, _, n in records]
    assert main[0] < main[1] < main[2] <= main[3]  # a request served between each
    assert all(m <= c for m, c in zip(main, cpu, strict=True))  # the main thread within
    assert [b - a for a, b in itertools.pairwise(answered)] == [1, 1, 0]


def test_switched_off_a_customer_get_makes_no_span_in_either_service(
    netflux_db: TestDatabase, sink: OtlpSink, tmp_path: Path
) -> None:
    records = {name: tmp_path / f"{name}.switch" for name in ("movie", "customer")}
    movie_env = switchable_env(sink, records["movie"], netflux_db.movie_url)
    with (
        service_process("movie_service", movie_env, command=switchable("movie-service")) as (
            movie,
            movie_proc,
        ),
        service_process(
            "customer_service",
            {
                **switchable_env(sink, records["customer"], netflux_db.customer_url),
                "MOVIE_SERVICE_URL": movie,
            },
            command=switchable("customer-service"),
        ) as (customer, customer_proc),
    ):
        procs = {"movie": movie_proc, "customer": customer_proc}

        def request(rid: str) -> None:
            answer = httpx.get(
                f"{customer}/api/customers/2", headers={"X-Request-ID": rid}, timeout=5
            )
            assert answer.status_code == 200

        def switch(signum: int) -> None:
            for name, proc in procs.items():
                signal_recorded(proc, records[name], signum)

        request("on-1")
        switch(OFF)
        request("off-1")
        switch(ON)
        request("on-2")
        wait_until(lambda: "on-2" in traced(sink), timeout=10, what="a span once back on")
    spans = exported(sink)
    traces = {s.request_id: s.trace_id for s in spans if s.service == "customer-service"}
    traces.pop(None, None)
    assert traces.keys() == {"on-1", "on-2"}
    # Every span exported, SQL and calls included, belongs to a request made while on ...
    assert {s.trace_id for s in spans} == set(traces.values())
    # ... and those have them all: both services' server spans, the call, the SQL.
    for trace_id in traces.values():
        mine = [s for s in spans if s.trace_id == trace_id]
        assert {s.service for s in mine if s.kind == ProtoSpan.SPAN_KIND_SERVER} == {
            "customer-service",
            "movie-service",
        }
        assert any(s.kind == ProtoSpan.SPAN_KIND_CLIENT and not s.sql for s in mine)
        assert any(s.sql for s in mine)
