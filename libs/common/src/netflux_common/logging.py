"""One log format for both services, on stdout (which CloudWatch keeps line by line).

JSON, one object a line, for machines (CloudWatch Logs Insights discovers the fields); plain text
when a person watches a terminal. `LOG_FORMAT=json|text` overrides the guess. Every line carries
the request id and, while tracing is on, the trace and span ids of the request it belongs to;
request lines (netflux_common.telemetry) add method, path, status and duration_ms.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from netflux_common import request_id

LogFormat = Literal["auto", "json", "text"]
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"
# Fields a request line adds (passed as `extra=`), in the order they are written.
REQUEST_FIELDS = ("method", "path", "status", "duration_ms")

# Set by netflux_common.tracing while tracing is on: (trace_id, span_id) of the current span, or
# None. Unset, a log line costs nothing for tracing.
TraceIds = Callable[[], tuple[str, str] | None]
_trace_ids: TraceIds | None = None


def set_trace_ids(source: TraceIds | None) -> None:
    global _trace_ids
    _trace_ids = source


def trace_ids() -> TraceIds | None:
    """The source set_trace_ids set (None while tracing is off)."""
    return _trace_ids


def _context(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if (rid := request_id.current()) is not None:
        fields["request_id"] = rid
    if _trace_ids is not None and (ids := _trace_ids()) is not None:
        fields["trace_id"], fields["span_id"] = ids
    for name in REQUEST_FIELDS:
        if (value := record.__dict__.get(name)) is not None:
            fields[name] = value
    return fields


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_context(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # default=str: an odd object in a message argument must not lose the line.
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = _context(record)
        for name in REQUEST_FIELDS:  # already in the message of a request line
            context.pop(name, None)
        if not context:
            return text
        head, newline, rest = text.partition("\n")  # keep a traceback below the first line
        pairs = " ".join(f"{k}={v}" for k, v in context.items())
        return f"{head} {pairs}{newline}{rest}"


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    pass


def formatter_for(log_format: LogFormat, stream: Any = None) -> logging.Formatter:
    stream = stream or sys.stdout
    if log_format == "auto":
        log_format = "text" if stream.isatty() else "json"
    return TextFormatter() if log_format == "text" else JsonFormatter()


def configure_logging(level: str, log_format: LogFormat = "auto") -> None:
    root = logging.getLogger()
    # Add ours once and leave other handlers alone (pytest's caplog, a host's own set-up).
    ours = [h for h in root.handlers if isinstance(h, _StdoutHandler)]
    handler = ours[0] if ours else _StdoutHandler(sys.stdout)
    handler.setFormatter(formatter_for(log_format, handler.stream))  # the stream it writes to
    if not ours:
        root.addHandler(handler)
    root.setLevel(level.upper())
