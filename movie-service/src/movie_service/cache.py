"""Serialized pages of the catalogue, kept until PostgreSQL says the movie table changed.

The table changes only through the database, and a trigger on it (init.sql) sends NOTIFY on
`movie_changed` when a writing transaction commits. A dedicated connection LISTENs; every
notification empties the cache. While that connection is down nothing is cached, and the cache
starts empty whenever listening (re)starts, so a change can never be missed. What remains is the
delivery delay of a notification: about a round trip after the writer's commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from netflux_common.contracts import Genre

CHANNEL = "movie_changed"
# A page of the largest allowed size is ~100 KB; the budget holds many of them, well within the
# service's memory (RSS ~80 MB without it).
DEFAULT_BUDGET_BYTES = 8 * 1024 * 1024
# How often a quiet listening connection is checked, so a connection that silently died (no FIN,
# e.g. a network partition) cannot keep stale pages around for long.
CHECK_INTERVAL_SECONDS = 10.0

log = logging.getLogger(__name__)

PageKey = tuple[Genre | None, int | None, int]  # genre, after, limit


@dataclass(frozen=True, slots=True)
class Page:
    body: bytes  # the JSON array, exactly as sent
    etag: str  # strong validator of `body`, quoted
    next_after: int | None  # cursor of the next page; None on the last one


class MovieCache:
    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        *,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        check_timeout: float = 2.0,
        settle_seconds: float = 0.0,
    ) -> None:
        self._connect = connect
        # Reads from a replica may lag the notification: for this long after one, pages are
        # served but not kept, so a page read before the replica caught up is not cached.
        self._settle = settle_seconds
        self._invalidated_at = -math.inf
        self._budget = budget_bytes
        self._check_timeout = check_timeout
        self._pages: dict[PageKey, Page] = {}
        self._size = 0
        self._generation = 0
        self._listening = False
        self.ready = asyncio.Event()  # set while changes are being listened to

    @property
    def generation(self) -> int:
        """Read before querying; `put` drops a page if the catalogue changed meanwhile."""
        return self._generation

    def get(self, key: PageKey) -> Page | None:
        return self._pages.get(key)

    def put(self, key: PageKey, page: Page, generation: int) -> None:
        if not self._listening or generation != self._generation:
            return  # nobody would tell us when it goes stale, or it already is
        if self._settle and time.monotonic() - self._invalidated_at < self._settle:
            return  # the replica may not show the change yet
        size = len(page.body)
        if size > self._budget:
            return
        while self._pages and self._size + size > self._budget:
            oldest = next(iter(self._pages))  # dicts keep insertion order
            self._size -= len(self._pages.pop(oldest).body)
        if (old := self._pages.pop(key, None)) is not None:
            self._size -= len(old.body)
        self._pages[key] = page
        self._size += size

    def invalidate(self) -> None:
        self._generation += 1
        self._invalidated_at = time.monotonic()
        self._pages.clear()
        self._size = 0

    def _on_notify(self, *_: Any) -> None:
        self.invalidate()

    async def listen_forever(self) -> None:
        """Keep a LISTEN connection up, reconnecting with backoff; cancel to stop."""
        backoff = 0.2
        while True:
            try:
                conn = await self._connect()
            except (
                Exception
            ) as exc:  # keep trying, whatever the failure: caching stays off meanwhile
                log.warning("movie cache off: cannot listen for changes (%r)", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            try:
                await self._listen(conn)
                backoff = 0.2
            except Exception as exc:  # any failure (InterfaceError too) must not end the listener
                log.warning("movie cache off: lost the change listener (%r)", exc)
                await asyncio.sleep(backoff)
            finally:
                self._listening = False
                self.ready.clear()
                self.invalidate()
                with contextlib.suppress(Exception):
                    conn.terminate()

    async def _listen(self, conn: asyncpg.Connection) -> None:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(CHANNEL, self._on_notify)
        # Whatever changed while nobody listened is unknown: start from nothing.
        self.invalidate()
        self._listening = True
        self.ready.set()
        while not conn.is_closed():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), CHECK_INTERVAL_SECONDS)
            if lost.is_set():
                return
            await conn.execute("SELECT 1", timeout=self._check_timeout)
