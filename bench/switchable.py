"""A service run as its console script runs it, with tracing's per-request work switchable: each
SIGUSR1 turns it off or back on, inside the running process (bench only).

    python -m bench.switchable movie-service

Between two processes, the bench cannot resolve a cost of a few per cent: processes differ from
one another by several per cent for good (the control setting shows it). Switched inside one
process, the same process serves both halves of each pair, so what differs is tracing's work a
request: the server span, the movie-service call's span and its `traceparent`, the SQL spans and
the log line's ids. What the switch cannot take away is what tracing costs a process whether
or not it serves requests (the SDK loaded, the export thread waiting): the settings measured
between processes include it.

Off, `Tracing.start_server_span` answers None (as for /actuator/*) and `Tracing.client_call` a
`ClientCall(None)` (as with tracing off), and log lines get no trace ids. The SQL statement
listeners stay: with no request span they return at their first check, which costs well under
a microsecond a statement, so the switch reads that little low.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path
from types import FrameType
from typing import Any

from netflux_common import logging as netflux_logging
from netflux_common.logging import TraceIds
from netflux_common.metrics import Metrics
from netflux_common.telemetry import RequestTelemetry
from netflux_common.tracing import ClientCall, Tracing

SWITCH = signal.SIGUSR1
MARK = signal.SIGUSR2  # records without flipping
RECORD = "BENCH_SWITCH_RECORD"  # the file each flip is recorded in (see Switch)


def _no_server_span(self: Tracing, scope: Any, request_id: str) -> None:
    return None


def _no_call_span(self: Tracing, method: str, url: str, template: str, headers: Any) -> ClientCall:
    return ClientCall(None)


class Switch:
    """Flips tracing's per-request work. Requests in flight keep what they started with: the
    request layer holds its span, and a call's span is its own.

    With a `record` file, each flip (and each mark) appends the state it starts, the CPU time
    so far of the process (all threads) and of its main thread (nanoseconds), and the requests
    it has answered so far (its metrics): the phases between are what the bench compares. The
    main thread serves the requests; the others' CPU is the span export's (see bench.harness)."""

    def __init__(self, record: Path | None = None) -> None:
        self.on = True
        self.record = record
        self.metrics: list[Metrics] = []  # filled as the app's request layer is built
        self._spans = (Tracing.start_server_span, Tracing.client_call)
        self._ids: TraceIds | None = None

    def flip(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        if self.on:  # the log lines' source of ids, which Tracing.start set if tracing is on
            self._ids = netflux_logging._trace_ids
        self.on = not self.on
        start, call = self._spans if self.on else (_no_server_span, _no_call_span)
        Tracing.start_server_span = start  # type: ignore[method-assign]
        Tracing.client_call = call  # type: ignore[method-assign]
        netflux_logging.set_trace_ids(self._ids if self.on else None)
        self.mark()

    def mark(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        if self.record is not None:
            # A signal handler runs in the main thread: thread_time is the serving thread's.
            cpu, main = time.process_time_ns(), time.thread_time_ns()
            with self.record.open("a") as out:
                out.write(f"{'on' if self.on else 'off'} {cpu} {main} {self.answered()}\n")

    def answered(self) -> int:
        return sum(
            int(sample.value)
            for metrics in self.metrics
            for metric in metrics.requests.collect()
            for sample in metric.samples
            if sample.name.endswith("_count")
        )

    def watch(self) -> None:
        """Keeps the metrics of every request layer built from now on."""
        build = RequestTelemetry.__init__
        metrics = self.metrics

        def init(layer: RequestTelemetry, app: Any, **options: Any) -> None:
            build(layer, app, **options)
            metrics.append(layer.metrics)

        RequestTelemetry.__init__ = init  # type: ignore[method-assign,assignment]


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("usage: python -m bench.switchable <service's console script>")
    (script,) = entry_points(group="console_scripts", name=argv[0])
    record = os.environ.get(RECORD)
    switch = Switch(Path(record) if record else None)
    switch.watch()
    # uvicorn takes over SIGINT and SIGTERM only
    signal.signal(SWITCH, switch.flip)
    signal.signal(MARK, switch.mark)
    script.load()()


if __name__ == "__main__":
    main(sys.argv[1:])
