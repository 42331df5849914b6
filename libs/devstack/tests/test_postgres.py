"""The embedded PostgreSQL takes the settings it is given (the benchmark needs more connections
than the default 100: ten services with pools of up to ten each, and a floor)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import asyncpg

from netflux_devstack.ports import free_port
from netflux_devstack.postgres import EmbeddedPostgres


def test_max_connections_reaches_the_server() -> None:
    # Not pytest's tmp_path: it is private to root, and as root PostgreSQL runs unprivileged.
    folder = Path(tempfile.mkdtemp(prefix="netflux-pg-test-"))
    folder.chmod(0o755)
    pg = EmbeddedPostgres(folder / "data", free_port(), throwaway=True, max_connections=150)
    try:
        pg.init()
        pg.start()

        async def setting() -> str:
            conn = await asyncpg.connect(pg.url())
            try:
                return str(await conn.fetchval("SHOW max_connections"))
            finally:
                await conn.close()

        assert asyncio.run(setting()) == "150"
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)
