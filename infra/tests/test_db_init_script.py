"""The db-init container's script, run for real: both services' scripts at once (as their tasks
start) against a PostgreSQL server, with psql from this machine and init.sql as the task
definition carries it. PGSSLMODE is `require` in AWS; the test server has no TLS, so it is
`disable` here (the only difference)."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from netflux_catalogue import SERVICES
from netflux_devstack.pytest_plugin import PostgresServer
from netflux_infra.dbinit import INIT_SQL, PASSWORD_VARIABLE, init_script

pytestmark = pytest.mark.skipif(shutil.which("psql") is None, reason="needs psql (>= 15)")


async def admin(server: PostgresServer, sql: str) -> None:
    connection = await asyncpg.connect(server.url("postgres"))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture
def empty_database(postgres_server: PostgresServer) -> Iterator[str]:
    name = f"netflux_dbinit_{os.getpid()}"
    asyncio.run(admin(postgres_server, f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(admin(postgres_server, f'CREATE DATABASE "{name}"'))
    yield name
    # Roles are cluster-wide: give them back the local passwords the other tests log in with.
    restore = "".join(f"ALTER ROLE {s.db_role} PASSWORD '{s.db_role}';" for s in SERVICES)
    asyncio.run(admin(postgres_server, restore))
    asyncio.run(admin(postgres_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def start(server: PostgresServer, database: str, service_index: int, password: str) -> Any:
    env = {
        **os.environ,
        "PGHOST": server.host,
        "PGPORT": str(server.port),
        "PGDATABASE": database,
        "PGUSER": server.superuser,
        "PGPASSWORD": server.superuser_password,
        "PGSSLMODE": "disable",
        "INIT_SQL_B64": base64.b64encode(INIT_SQL.read_bytes()).decode(),
        PASSWORD_VARIABLE: password,
    }
    script = init_script(SERVICES[service_index])
    return subprocess.Popen(
        ["sh", "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


async def count_as(
    server: PostgresServer, database: str, role: str, password: str, table: str
) -> int:
    connection = await asyncpg.connect(server.url(database, role, password))
    try:
        return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await connection.close()


def test_both_scripts_at_once_initialize_and_set_only_their_own_password(
    postgres_server: PostgresServer, empty_database: str
) -> None:
    passwords = [secrets.token_hex(20) for _ in SERVICES]

    for _ in range(2):  # the second round: a task restarting on an initialized database
        runs = [start(postgres_server, empty_database, i, pw) for i, pw in enumerate(passwords)]
        for run in runs:
            output, _ = run.communicate(timeout=60)
            assert run.returncode == 0, output
            assert "init.sql applied; password of" in output

    tables = {"movie": "movie.movie", "customer": "customer.customer"}
    for spec, password in zip(SERVICES, passwords, strict=True):
        rows = asyncio.run(
            count_as(postgres_server, empty_database, spec.db_role, password, tables[spec.short])
        )
        assert rows > 0
        with pytest.raises(asyncpg.InvalidPasswordError):
            asyncio.run(
                count_as(postgres_server, empty_database, spec.db_role, spec.db_role, "pg_class")
            )


def test_a_broken_init_sql_fails_the_container(
    postgres_server: PostgresServer, empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = start(postgres_server, empty_database, 0, "x" * 40)
    run.communicate(timeout=60)
    assert run.returncode == 0

    env_script = init_script(SERVICES[0])
    broken = subprocess.run(
        ["sh", "-c", env_script],
        env={**os.environ, "INIT_SQL_B64": base64.b64encode(b"SELECT nonsense;").decode(),
             "PGHOST": postgres_server.host, "PGPORT": str(postgres_server.port),
             "PGDATABASE": empty_database, "PGUSER": postgres_server.superuser,
             "PGPASSWORD": postgres_server.superuser_password, "PGSSLMODE": "disable",
             PASSWORD_VARIABLE: "y" * 40},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert broken.returncode != 0
    assert "nonsense" in broken.stderr
    assert "password of" not in broken.stdout
