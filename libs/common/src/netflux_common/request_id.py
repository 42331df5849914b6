"""The request id: taken from `X-Request-ID` when it is sane, generated otherwise, and kept in a
context variable for the request's duration so logs, problem bodies and the call to movie-service
can carry it without passing it around."""

from __future__ import annotations

import random
import re
from contextvars import ContextVar

HEADER = "X-Request-ID"
# What a proxy or a client library sends (UUIDs, hex, ALB-style `1-abc-def`); anything else (too
# long, spaces, control characters, quotes) is replaced rather than written into logs and bodies.
_VALID = re.compile(rb"[A-Za-z0-9._:=+/-]{1,128}")

_current: ContextVar[str | None] = ContextVar("netflux_request_id", default=None)


def current() -> str | None:
    """The id of the request being handled, None outside a request."""
    return _current.get()


def accept_or_generate(sent: bytes | None) -> str:
    if sent is not None and _VALID.fullmatch(sent):
        return sent.decode("ascii")
    # Not a secret, only unique enough to find one request: random's generator, not
    # os.urandom, which releases the GIL for its system call on every request (with tracing's
    # export thread running, getting it back cost up to a switch interval: seen in the profile).
    return format(random.getrandbits(128), "032x")


def set_current(request_id: str | None) -> object:
    """Set the id for the current context; returns the token `reset` takes."""
    return _current.set(request_id)


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
