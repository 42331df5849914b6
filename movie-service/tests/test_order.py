"""Movies come in id order because the query asks for it, not because of how rows are stored."""

from __future__ import annotations

import asyncpg
import httpx

from netflux_devstack.pytest_plugin import TestDatabase


async def test_lists_are_in_id_order_when_storage_order_is_not(
    netflux_db: TestDatabase, client: httpx.AsyncClient
) -> None:
    conn = await asyncpg.connect(netflux_db.admin_url)
    try:
        # An UPDATE writes a new row version at the end of the table: the low ids now come last
        # in storage, so a query without ORDER BY returns them out of order.
        await conn.execute("UPDATE movie.movie SET title = title || '' WHERE id <= 3")
        stored = [r["id"] for r in await conn.fetch("SELECT id FROM movie.movie")]
        genre = await conn.fetchval("SELECT genre FROM movie.movie WHERE id = 1")
    finally:
        await conn.close()
    assert stored != sorted(stored), "the storage order did not change; the test proves nothing"

    for path in ("/api/movies", f"/api/movies/{genre}"):
        ids = [m["id"] for m in (await client.get(path)).json()]
        assert ids == sorted(ids), path
        assert 1 in ids
