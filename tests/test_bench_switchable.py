"""bench.switchable: a service whose tracing work a request SIGUSR1 turns off and on, which the
bench's in-process measurement of tracing relies on (a switch that did nothing would read x1)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bench.switchable import MARK, RECORD, SWITCH
from netflux_devstack.otlp import OtlpSink, otlp_sink
from netflux_devstack.polling import wait_until
from netflux_devstack.pytest_plugin import TestDatabase
from netflux_devstack.testing import service_process

ROOT = Path(__file__).resolve().parents[1]


def traced(sink: OtlpSink) -> set[str]:
    """The request ids of the spans exported to `sink`."""
    found = set()
    for body in sink.received():
        for resource in ExportTraceServiceRequest.FromString(body).resource_spans:
            for scope in resource.scope_spans:
                for span in scope.spans:
                    found |= {
                        a.value.string_value
                        for a in span.attributes
                        if a.key == "netflux.request_id"
                    }
    return found


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    with otlp_sink() as running:
        yield running


def test_sigusr1_switches_the_spans_and_log_ids_off_and_back_on_and_each_switch_is_recorded(
    netflux_db: TestDatabase, sink: OtlpSink, tmp_path: Path
) -> None:
    env = {
        "DATABASE_URL": netflux_db.movie_url,
        "OTEL_EXPORTER_OTLP_ENDPOINT": sink.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        RECORD: str(tmp_path / "switches"),
    }
    command = [sys.executable, "-m", "bench.switchable", "movie-service"]
    log = tmp_path / "movie.log"
    with (
        log.open("wb") as out,
        service_process("movie_service", env, stdout=out, command=command) as (url, proc),
    ):

        def request(rid: str) -> None:
            answer = httpx.get(f"{url}/api/movies/DRAMA", headers={"X-Request-ID": rid}, timeout=5)
            assert answer.status_code == 200

        def send(signum: int, records: int) -> None:
            proc.send_signal(signum)
            wait_until(lambda: len(recorded(tmp_path)) == records, timeout=5, what="the record")

        request("on-1")
        send(SWITCH, 1)
        request("off-1")
        request("off-2")
        send(MARK, 2)
        send(SWITCH, 3)
        request("on-2")
        wait_until(lambda: "on-2" in traced(sink), timeout=10, what="a span once back on")
    # Stopped (SIGTERM): everything the service queued has been exported.
    assert traced(sink) == {"on-1", "on-2"}

    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    access = {x["request_id"]: x for x in lines if x.get("logger") == "netflux.access"}
    assert {"on-1", "off-1", "off-2", "on-2"} <= access.keys()
    with_ids = {rid for rid, line in access.items() if "trace_id" in line}
    assert with_ids & {"on-1", "off-1", "off-2", "on-2"} == {"on-1", "on-2"}

    # What the bench takes each phase's CPU per request from: the state begun, CPU, answers.
    records = recorded(tmp_path)
    assert [state for state, _, _, _ in records] == ["off", "off", "on"]
    cpu, main = ([int(row[column]) for row in records] for column in (1, 2))
    answered = [int(n) for _, _, _, n in records]
    assert main[0] < main[1] <= main[2]  # two requests served in between
    assert all(m <= c for m, c in zip(main, cpu, strict=True))  # the main thread within
    assert [answered[1] - answered[0], answered[2] - answered[1]] == [2, 0]


def recorded(folder: Path) -> list[list[str]]:
    path = folder / "switches"
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []
