"""init.sql gives each service a schema and a login role that can use nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest

from netflux_devstack.pytest_plugin import TestDatabase


async def fetchval(url: str, sql: str) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def test_seed_data_covers_every_genre(netflux_db: TestDatabase) -> None:
    movies = await fetchval(netflux_db.movie_url, "SELECT count(*) FROM movie.movie")
    genres = await fetchval(netflux_db.movie_url, "SELECT count(DISTINCT genre) FROM movie")
    customers = await fetchval(
        netflux_db.customer_url, "SELECT count(DISTINCT favorite_genre) FROM customer"
    )

    assert movies >= 20
    assert genres == 4
    assert customers >= 3


@pytest.mark.parametrize(
    ("service", "foreign_table"),
    [("movie", "customer.customer"), ("customer", "movie.movie")],
)
async def test_a_service_role_cannot_read_the_other_schema(
    netflux_db: TestDatabase, service: str, foreign_table: str
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied for schema"):
        await fetchval(netflux_db.service_url(service), f"SELECT count(*) FROM {foreign_table}")


@pytest.mark.parametrize(
    ("role", "foreign_table"),
    [("movie_service", "customer.customer"), ("customer_service", "movie.movie")],
)
@pytest.mark.parametrize("privilege", ["SELECT", "INSERT", "UPDATE", "DELETE"])
async def test_no_role_holds_a_privilege_on_the_other_services_table(
    netflux_db: TestDatabase, role: str, foreign_table: str, privilege: str
) -> None:
    # Checked on the grant itself, not only on the error: schema USAGE alone is what blocks a read
    # today, and a stray table GRANT would wait behind it unnoticed.
    held = await fetchval(
        netflux_db.admin_url,
        f"SELECT has_table_privilege('{role}', '{foreign_table}', '{privilege}')",
    )

    assert held is False


@pytest.mark.parametrize("service", ["movie", "customer"])
async def test_a_service_role_cannot_create_objects_in_public(
    netflux_db: TestDatabase, service: str
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await fetchval(netflux_db.service_url(service), "CREATE TABLE public.sneaky (id int)")


async def test_new_rows_do_not_collide_with_seeded_ids(netflux_db: TestDatabase) -> None:
    new_id = await fetchval(
        netflux_db.customer_url,
        "INSERT INTO customer (name, favorite_genre) VALUES ('Ana', 'DRAMA') RETURNING id",
    )

    assert new_id > 4


async def test_the_database_refuses_an_unknown_genre(netflux_db: TestDatabase) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await fetchval(netflux_db.customer_url, "UPDATE customer SET favorite_genre = 'HORROR'")


async def test_init_sql_can_run_again_on_an_initialized_database(netflux_db: TestDatabase) -> None:
    sql = (Path(__file__).parents[1] / "init.sql").read_text()
    conn = await asyncpg.connect(netflux_db.admin_url)
    try:
        await conn.execute(sql)
        count = await conn.fetchval("SELECT count(*) FROM customer.customer")
    finally:
        await conn.close()

    assert count == 4  # seed rows were not duplicated
