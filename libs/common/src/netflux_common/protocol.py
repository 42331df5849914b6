"""HTTP protocol guards in front of every route, before any body is read into memory.

- bodies larger than the configured limit are a 413 problem, decided on Content-Length when it
  is sent and otherwise while the body streams in (never more than limit + one chunk is held);
- header blocks larger than the limit are a 431 problem;
- a body that is not JSON (by Content-Type) is a 415 problem: the APIs only take JSON; one that
  says it is but does not parse is the usual 400 validation problem;
- HEAD is answered wherever GET is (RFC 9110 section 9.3.2): the GET route runs, its headers are
  sent, its body is not.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netflux_common.problems import bad_request, problem_response

BODY_METHODS = {"POST", "PUT", "PATCH"}


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


class ProtocolGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        if sum(len(k) + len(v) + 4 for k, v in headers) > self.max_header_bytes:
            await self._reject(
                scope,
                receive,
                send,
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"The request headers exceed {self.max_header_bytes} bytes",
            )
            return
        method = scope["method"]
        if method in BODY_METHODS:
            rejected = await self._check_body(scope, receive, send, dict(headers))
            if rejected is None:
                return
            receive = rejected
        if method == "HEAD":
            # Changed in place, not in a copy: the layers outside read the route the router
            # records in this scope (metrics label requests by route template).
            scope["method"] = "GET"
            await self.app(scope, receive, _without_body(send))
            return
        await self.app(scope, receive, send)

    async def _check_body(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes]
    ) -> Receive | None:
        """A `receive` replaying the whole (small) body, or None when the request was answered."""
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and not _is_json(content_type):
            shown = content_type or "none"
            await self._reject(
                scope,
                receive,
                send,
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"Content-Type {shown} is not supported; send application/json",
            )
            return None
        if body:
            try:
                # Parsed here once so that every way of not being JSON (bad UTF-8, a number too
                # long to convert, nesting deeper than the parser's recursion) is the same 400.
                json.loads(body)
            except (ValueError, RecursionError):
                await bad_request(scope, [("body", "Request body is not valid JSON")])(
                    scope, receive, send
                )
                return None
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._reject(
            scope,
            receive,
            send,
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"The request body exceeds {self.max_body_bytes} bytes",
        )

    @staticmethod
    async def _reject(
        scope: Scope, receive: Receive, send: Send, status: HTTPStatus, detail: str
    ) -> None:
        # The connection is closed after the answer: the unread rest of a body must not be
        # taken for the next request.
        response = problem_response(
            scope, status, status.phrase, detail, headers={"Connection": "close"}
        )
        await response(scope, receive, send)


def _without_body(send: Send) -> Send:
    async def head_send(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return head_send
