"""Wait until something is ready: the one polling loop the devstack, the tests and CI share."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class NotReady(TimeoutError):
    pass


def wait_until(
    ready: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    interval: float = 0.2,
    give_up: Callable[[], str | None] = lambda: None,
) -> None:
    """Call `ready` until it answers True; NotReady after `timeout` seconds.

    `ready` treats a failed attempt as not ready (returns False); `give_up` names a reason to stop
    early (say, the process being waited for has exited), which is raised as NotReady at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        if reason := give_up():
            raise NotReady(f"{what}: {reason}")
        if ready():
            return
        if time.monotonic() >= deadline:
            raise NotReady(f"{what}: not ready within {timeout:.0f} s")
        time.sleep(interval)


async def wait_until_async(
    ready: Callable[[], Awaitable[bool]], *, within: float, what: str, interval: float = 0.2
) -> None:
    """`wait_until` for an event loop: `ready` is awaited, the loop is never blocked."""
    deadline = time.monotonic() + within
    while not await ready():
        if time.monotonic() >= deadline:
            raise NotReady(f"{what}: not ready within {within:.0f} s")
        await asyncio.sleep(interval)
