"""A stand-in OpenTelemetry collector on loopback: takes OTLP/HTTP exports (POST /v1/traces,
protobuf) and keeps their bodies, for tests that follow a trace across processes and for the
benchmark's tracing-on run (where it is the cheapest possible receiver)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class OtlpSink:
    def __init__(self, *, keep: bool = True) -> None:
        self.keep = keep
        self.bodies: list[bytes] = []  # each export request's protobuf, when kept
        self.exports = 0
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink._lock:
                    sink.exports += 1
                    if sink.keep and self.path == "/v1/traces":
                        sink.bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: one line per export otherwise

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"

    def received(self) -> list[bytes]:
        with self._lock:
            return list(self.bodies)


@contextlib.contextmanager
def otlp_sink(*, keep: bool = True) -> Iterator[OtlpSink]:
    """A running sink; its `endpoint` is what OTEL_EXPORTER_OTLP_ENDPOINT takes."""
    sink = OtlpSink(keep=keep)
    thread = threading.Thread(target=sink._server.serve_forever, name="otlp-sink", daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        sink._server.shutdown()
        sink._server.server_close()
        thread.join(timeout=5)
