"""Database initialization as an init container of every service's task.

Each service's task starts a `db-init` container before the service's own container, which
waits for it to exit 0 (`dependsOn` condition SUCCESS,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDependency.html). It
applies init.sql (idempotent) as the RDS master user and sets the password of that service's
role — and only that role — to the one Terraform generated into the service's secret. init.sql
travels in the task definition, so a change to it is a new revision that runs it again.

Tasks of both services start at the same time: the script holds a PostgreSQL advisory lock for
its whole session, so two runs of init.sql never interleave
(https://www.postgresql.org/docs/16/explicit-locking.html#ADVISORY-LOCKS). The lock is a session
lock: it is released when psql exits, also on error.

The image is the official PostgreSQL image, pulled through an ECR pull-through cache of ECR
Public (registry.py's `PullThroughCache`), because tasks have no internet access.

Plain data and text, no cdktf import: the script is tested against a real PostgreSQL without
synthesis.
"""

from __future__ import annotations

import base64
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netflux_catalogue import DATABASE_NAME, Service
from netflux_infra.container import awslogs

INIT_SQL = Path(__file__).resolve().parents[3] / "init.sql"
CONTAINER_NAME = "db-init"
# Any constant both services agree on; hashtext keeps it readable in pg_locks.
LOCK_KEY = "hashtext('netflux:init.sql')"
PASSWORD_VARIABLE = "SERVICE_DB_PASSWORD"


def init_script(service: Service) -> str:
    """One psql session: lock, init.sql, this service's password, in that order.

    The password reaches psql from the environment (`\\getenv`, psql >= 15) into a variable
    quoted by `:'...'`: it stays out of the SQL text, the command line and the process list.
    init.sql may leave a role SET; RESET ROLE gives the master user back before ALTER ROLE.
    """
    before = [f"SELECT pg_advisory_lock({LOCK_KEY});"]
    after = [
        "RESET ROLE;",
        f"\\getenv role_pw {PASSWORD_VARIABLE}",
        f"ALTER ROLE {service.db_role} PASSWORD :'role_pw';",
    ]

    def lines(statements: list[str]) -> str:
        # printf, not echo: dash's echo would read the backslash of \getenv as an escape.
        return "".join(f"  printf '%s\\n' {shlex.quote(s)}\n" for s in statements)

    return (
        "set -eu\n"
        # Decoded before psql starts: a broken value stops here (sh has no pipefail everywhere).
        """sql=$(printf '%s' "$INIT_SQL_B64" | base64 -d)\n"""
        "{\n"
        f"{lines(before)}"
        """  printf '%s\\n' "$sql"\n"""
        f"{lines(after)}"
        "} | psql -v ON_ERROR_STOP=1 --quiet\n"
        f'echo "init.sql applied; password of {service.db_role} set"\n'
    )


@dataclass(frozen=True)
class DatabaseInit:
    """What a service's task needs to run its `db-init` container."""

    image: str
    host: str  # the RDS instance's address
    master_secret_arn: str  # RDS-managed: keys username, password
    # The execution role pulls through the cache: the first pull creates the cached repository.
    pull_statement: dict[str, Any]

    def container(
        self,
        service: Service,
        *,
        service_secret_arn: str,
        log_group: str,
        log_stream_prefix: str,
        region: str,
    ) -> dict[str, Any]:
        return {
            "name": CONTAINER_NAME,
            "image": self.image,
            # It exits when done; the task keeps running with the service's container.
            "essential": False,
            "readonlyRootFilesystem": True,
            "command": ["sh", "-c", init_script(service)],
            "environment": [
                {"name": "PGHOST", "value": self.host},
                {"name": "PGDATABASE", "value": DATABASE_NAME},
                # RDS forces TLS (rds.force_ssl); libpq's default `prefer` would also use it,
                # `require` refuses a server that does not.
                {"name": "PGSSLMODE", "value": "require"},
                {"name": "INIT_SQL_B64", "value": base64.b64encode(INIT_SQL.read_bytes()).decode()},
            ],
            # JSON keys of a secret (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html).
            "secrets": [
                {"name": "PGUSER", "valueFrom": f"{self.master_secret_arn}:username::"},
                {"name": "PGPASSWORD", "valueFrom": f"{self.master_secret_arn}:password::"},
                {"name": PASSWORD_VARIABLE, "valueFrom": f"{service_secret_arn}:password::"},
            ],
            "logConfiguration": awslogs(log_group, region, log_stream_prefix),
        }
