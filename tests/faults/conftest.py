"""Real processes on loopback for the fault scenarios: a PostgreSQL of their own (so it can be
restarted), both services as their containers run them."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from netflux_catalogue import DATABASE_NAME
from netflux_devstack.ports import free_port
from netflux_devstack.postgres import EmbeddedPostgres, ensure_database

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Database:
    server: EmbeddedPostgres

    def url(self, role: str) -> str:
        return self.server.url(DATABASE_NAME, role, role)


@pytest.fixture
def database() -> Iterator[Database]:
    """An embedded PostgreSQL built by init.sql, stopped and removed after the test."""
    root = Path(tempfile.mkdtemp(prefix="netflux-fault-pg-"))
    root.chmod(0o755)  # as root, the server runs as an unprivileged user
    server = EmbeddedPostgres(root / "data", free_port(), throwaway=True)
    try:
        server.init()
        server.start()
        init_sql = (ROOT / "init.sql").read_text()
        asyncio.run(ensure_database(server.url(), DATABASE_NAME, init_sql))
        yield Database(server)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
