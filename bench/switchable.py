"""A service run as its console script runs it, with tracing's per-request work switchable
inside the running process (bench only): SIGUSR1 turns it off, SIGUSR2 back on.

    python -m bench.switchable movie-service

Between two processes, the bench cannot resolve a cost of a few per cent: processes differ from
one another by several per cent for good (the control setting shows it). Switched inside one
process, the same process serves both halves of each comparison, so what differs is tracing's
work a request: the server span, the movie-service call's span and its `traceparent`, the SQL
spans and the log line's ids. What the switch cannot take away is what tracing costs a process
whether or not it serves requests (the SDK loaded, the export thread waiting): the settings
measured between processes include it.

Off, `Tracing.start_server_span` answers None (as for /actuator/*) and `Tracing.client_call` a
`ClientCall(None)` (as with tracing off), and log lines get no trace ids. The SQL statement
listeners stay: with no request span they return at their first check (SQLAlchemy's dispatch
to them and `get_current_span()`, for each statement; a customer GET runs one), so the on/off
ratio understates tracing's cost by that much.

With `BENCH_SWITCH_RECORD` set, every signal, SIGRTMIN included (which switches nothing),
appends a line to that file: the state now, the CPU time so far of the process (all threads)
and of its main thread (nanoseconds), and the requests answered so far. The bench compares the
phases between two lines. Signals set a state rather than toggle it, so one lost in a merge
(two of a kind pending at once are delivered as one) changes nothing.
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
from netflux_common.tracing import ClientCall, Tracing

OFF, ON, MARK = signal.SIGUSR1, signal.SIGUSR2, signal.SIGRTMIN
RECORD = "BENCH_SWITCH_RECORD"


def _no_server_span(self: Tracing, scope: Any, request_id: str) -> None:
    return None


def _no_call_span(
    self: Tracing, method: str, url: str, template: str, headers: dict[str, str]
) -> ClientCall:
    return ClientCall(None)


class Switch:
    """Tracing's per-request work, on or off. A request in flight at a switch keeps its server
    span, but a call it makes afterwards follows the new state (a customer GET switched off
    between its start and its call sends no `traceparent`): the bench leaves such requests out
    by measuring each phase from 0.2 s after its switch."""

    def __init__(self, record: Path | None = None) -> None:
        self.on = True
        self.record = record
        self.answered = 0  # requests, counted by count_requests
        self._spans = (Tracing.start_server_span, Tracing.client_call)
        # The log lines' source of ids: read at the first switch off, since Tracing.start
        # (which sets it when tracing is on) runs after this.
        self._ids: TraceIds | None = None

    def handle(self, signum: int, frame: FrameType | None = None) -> None:
        if signum in (OFF, ON):
            self.set(signum == ON)
        if self.record is not None:
            # A signal handler runs in the main thread: thread_time is the serving thread's.
            cpu, main = time.process_time_ns(), time.thread_time_ns()
            with self.record.open("a") as out:
                out.write(f"{'on' if self.on else 'off'} {cpu} {main} {self.answered}\n")

    def set(self, on: bool) -> None:
        if on == self.on:
            return
        if self.on:
            self._ids = netflux_logging.trace_ids()
        self.on = on
        start, call = self._spans if on else (_no_server_span, _no_call_span)
        Tracing.start_server_span = start  # type: ignore[method-assign]
        Tracing.client_call = call  # type: ignore[method-assign]
        netflux_logging.set_trace_ids(self._ids if on else None)

    def count_requests(self) -> None:
        """Counts each request the request layer reports to its metrics. A plain count rather
        than the metrics' own: their lock may be held by the code the signal interrupted."""
        observe = Metrics.observe_request

        def counted(metrics: Metrics, method: str, uri: str, status: int, seconds: float) -> None:
            self.answered += 1
            observe(metrics, method, uri, status, seconds)

        Metrics.observe_request = counted  # type: ignore[method-assign,assignment]


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("usage: python -m bench.switchable <service's console script>")
    (script,) = entry_points(group="console_scripts", name=argv[0])
    record = os.environ.get(RECORD)
    switch = Switch(Path(record) if record else None)
    switch.count_requests()
    for signum in (OFF, ON, MARK):  # uvicorn takes over SIGINT and SIGTERM only
        signal.signal(signum, switch.handle)
    script.load()()


if __name__ == "__main__":
    main(sys.argv[1:])
