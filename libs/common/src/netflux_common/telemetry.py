"""One ASGI layer for what every request reports: its request id, a log line and its metrics.

One layer rather than three keeps the per-request cost down (each ASGI layer is a call and a
wrapped `send`); it sits outside the problem handlers so that every answer, a 413 from the
protocol guard or a 500 included, carries the `X-Request-ID` header and a `requestId` member.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netflux_common import request_id
from netflux_common.metrics import UNMATCHED, Metrics
from netflux_common.tracing import Tracing

access_log = logging.getLogger("netflux.access")
_HEADER = request_id.HEADER.lower().encode()


class RequestTelemetry:
    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, log_requests: bool, tracing: Tracing | None
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.log_requests = log_requests
        self.tracing = tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]  # before the protocol guard turns a HEAD into a GET
        sent = next((v for k, v in scope["headers"] if k == _HEADER), None)
        rid = request_id.accept_or_generate(sent)
        token = request_id.set_current(rid)
        tracing = self.tracing
        span = tracing.start_server_span(scope, rid) if tracing is not None else None
        header = (_HEADER, rid.encode())
        status = 500  # what the client sees if the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        error: BaseException | None = None
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException as exc:
            error = exc
            raise
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            uri = getattr(route, "path", None) or UNMATCHED
            self.metrics.observe_request(method, uri, status, seconds)
            if self.log_requests and access_log.isEnabledFor(logging.INFO):
                self._log(method, scope["path"], status, seconds)
            if tracing is not None and span is not None:
                tracing.end_server_span(span, uri, status, error)
            request_id.reset(token)

    @staticmethod
    def _log(method: str, path: str, status: int, seconds: float) -> None:
        duration_ms = round(seconds * 1000, 2)
        access_log.info(
            "%s %s %d %.2fms",
            method,
            path,
            status,
            duration_ms,
            extra={"method": method, "path": path, "status": status, "duration_ms": duration_ms},
        )
