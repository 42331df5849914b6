"""The RDS instance as a PostgreSQL container, reachable under the endpoint's host name.

Its superuser is the master login from the RDS-managed secret (RDS keeps it as JSON with keys
username and password:
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html). TLS is on
with a self-signed certificate, as RDS serves TLS; with the parameter `rds.force_ssl` = 1 plain
connections are refused, as on RDS:
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html
Nothing else is applied: the schema comes from the environment's own init task.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from netflux_infra_testing.fargate.aws import Emulator
from netflux_infra_testing.fargate.docker import Docker
from netflux_infra_testing.fargate.errors import RunFailed
from netflux_infra_testing.fargate.readback import Database

POSTGRES_IMAGE_VARIABLE = "POSTGRES_IMAGE"
POSTGRES_IMAGE_DEFAULT = "netflux-ci/postgres:standin"

# Runs as root once the data folder is initialized (the image's /docker-entrypoint-initdb.d
# contract); the server that follows reads it.
TLS_SCRIPT = """\
openssl req -new -x509 -days 2 -nodes -subj "/CN=$RDS_HOST" \\
    -keyout "$PGDATA/server.key" -out "$PGDATA/server.crt" 2>/dev/null
chown postgres:postgres "$PGDATA/server.key" "$PGDATA/server.crt"
chmod 600 "$PGDATA/server.key"
echo "ssl = on" >> "$PGDATA/postgresql.conf"
if [ "$FORCE_SSL" = 1 ]; then
    sed -i 's/^host all all all /hostssl all all all /' "$PGDATA/pg_hba.conf"
fi
"""


@dataclass(frozen=True)
class RunningDatabase:
    container: str
    host: str  # the RDS endpoint address, a network alias
    ip: str
    port: int
    master_username: str
    master_password: str
    force_ssl: bool


def start_database(aws: Emulator, docker: Docker, network: str, db: Database) -> RunningDatabase:
    if db.master_secret_arn is None:
        raise RunFailed("the database has no RDS-managed master secret to take the login from")
    master = json.loads(
        aws.client("secretsmanager").get_secret_value(SecretId=db.master_secret_arn)["SecretString"]
    )
    force_ssl = _force_ssl(aws, db)
    name = f"{docker.run_id}-rds"
    image = os.environ.get(POSTGRES_IMAGE_VARIABLE, POSTGRES_IMAGE_DEFAULT)
    with tempfile.TemporaryDirectory() as folder:
        env_file = Path(folder) / "env"
        env_file.touch(mode=0o600)
        env_file.write_text(
            f"POSTGRES_USER={master['username']}\nPOSTGRES_PASSWORD={master['password']}\n"
            f"POSTGRES_DB={db.name or 'postgres'}\nRDS_HOST={db.host}\n"
            f"FORCE_SSL={int(force_ssl)}\n"
        )
        docker(
            "create", "--name", name, "--label", docker.label, "--network", network,
            "--network-alias", db.host, "--env-file", str(env_file), image,
            "postgres", "-p", str(db.port),
        )  # fmt: skip
        script = Path(folder) / "10-tls.sh"
        script.write_text(TLS_SCRIPT)
        docker("cp", str(script), f"{name}:/docker-entrypoint-initdb.d/10-tls.sh")
    docker("start", name)
    deadline = time.monotonic() + 60
    while (
        docker("exec", name, "pg_isready", "-h", "127.0.0.1", "-p", str(db.port), check=False)[
            -len("accepting connections") :
        ]
        != "accepting connections"
    ):
        if time.monotonic() > deadline:
            logs = docker.logs(name, 20)
            raise RunFailed(f"the database container did not get ready:\n{logs}")
        time.sleep(0.5)
    ip = docker.inspect(name)["NetworkSettings"]["Networks"][network]["IPAddress"]
    return RunningDatabase(
        name, db.host, ip, db.port, master["username"], master["password"], force_ssl
    )


def _force_ssl(aws: Emulator, db: Database) -> bool:
    rds = aws.client("rds")
    [instance] = rds.describe_db_instances(DBInstanceIdentifier=db.identifier)["DBInstances"]
    for group in instance.get("DBParameterGroups", []):
        parameters = rds.describe_db_parameters(DBParameterGroupName=group["DBParameterGroupName"])
        for parameter in parameters["Parameters"]:
            if parameter["ParameterName"] == "rds.force_ssl":
                return str(parameter.get("ParameterValue")) == "1"
    return False
