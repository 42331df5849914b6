"""The ASGI lifespan protocol for plain ASGI apps (the edge, the benchmark's floors)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.types import Message, Receive, Send

Hook = Callable[[], Awaitable[None]]


async def run_lifespan(
    receive: Receive, send: Send, on_start: Hook | None = None, on_stop: Hook | None = None
) -> None:
    """Answer the server's startup and shutdown messages, running the hooks in between."""
    while True:
        message: Message = await receive()
        if message["type"] == "lifespan.startup":
            if on_start is not None:
                await on_start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if on_stop is not None:
                await on_stop()
            await send({"type": "lifespan.shutdown.complete"})
            return
