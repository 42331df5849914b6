"""A one-off ECS task that applies init.sql to RDS and sets the service roles' real passwords.

Run it once per environment after the first deploy, and again after changing init.sql
(init.sql is idempotent). See docs/deploy.md. The image is the official PostgreSQL image,
pulled through an ECR pull-through cache of ECR Public, because tasks have no internet access.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.ecr_pull_through_cache_rule import EcrPullThroughCacheRule
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition
from constructs import Construct

from netflux_catalogue import DATABASE_NAME, SERVICES, Service
from netflux_infra.config import EnvironmentConfig
from netflux_infra.database import Database
from netflux_infra.iam import task_execution_role
from netflux_infra.registry import Registry

INIT_SQL = Path(__file__).resolve().parents[3] / "init.sql"
POSTGRES_IMAGE = "docker/library/postgres:16-alpine"  # under public.ecr.aws


def _password_variable(service: Service) -> str:
    return f"{service.short.upper()}_PASSWORD"


def init_script(services: Sequence[Service] = SERVICES) -> str:
    """Apply init.sql, then give each service's role the password in its secret.

    psql variables keep the passwords out of the SQL text and the process list.
    """
    variables = " ".join(f'-v {s.short}_pw="${_password_variable(s)}"' for s in services)
    alters = "".join(f"ALTER ROLE {s.db_role} PASSWORD :'{s.short}_pw';\n" for s in services)
    return (
        "set -eu\n"
        """printf '%s' "$INIT_SQL_B64" | base64 -d > /tmp/init.sql\n"""
        "psql -v ON_ERROR_STOP=1 -f /tmp/init.sql\n"
        f"psql -v ON_ERROR_STOP=1 {variables} <<'SQL'\n"
        f"{alters}"
        "SQL\n"
        'echo "init.sql applied; service passwords set"\n'
    )


class DatabaseInit(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        database: Database,
        registry: Registry,
    ) -> None:
        super().__init__(scope, id_)
        prefix = config.names.prefix
        cache_prefix = config.names.ecr_public_cache
        EcrPullThroughCacheRule(
            self,
            "cache",
            ecr_repository_prefix=cache_prefix,
            upstream_registry_url="public.ecr.aws",
        )
        # The account's registry, named after a repository's registry id: no account id here.
        any_repo = next(iter(registry.repositories.values()))
        registry_host = f"{any_repo.registry_id}.dkr.ecr.{config.region}.amazonaws.com"
        log_group = CloudwatchLogGroup(
            self, "logs", name=f"/ecs/{prefix}/db-init", retention_in_days=config.log_retention_days
        )
        master = database.instance.master_user_secret.get(0).secret_arn
        service_secrets = {s: database.secrets[s.name].arn for s in SERVICES}
        role = task_execution_role(
            self,
            "",
            name=f"{prefix}-db-init-execution",
            repositories=[f"arn:aws:ecr:{config.region}:*:repository/{cache_prefix}/*"],
            log_group_arn=log_group.arn,
            secrets=[master, *service_secrets.values()],
            # The first pull creates the cached repository and imports the image.
            extra_pull_actions=["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"],
        )
        container = {
            "name": "db-init",
            "image": f"{registry_host}/{cache_prefix}/{POSTGRES_IMAGE}",
            "essential": True,
            "command": ["sh", "-c", init_script()],
            "environment": [
                {"name": "PGHOST", "value": database.instance.address},
                {"name": "PGDATABASE", "value": DATABASE_NAME},
                {"name": "PGSSLMODE", "value": "require"},
                {"name": "INIT_SQL_B64", "value": base64.b64encode(INIT_SQL.read_bytes()).decode()},
            ],
            "secrets": [
                {"name": "PGUSER", "valueFrom": f"{master}:username::"},
                {"name": "PGPASSWORD", "valueFrom": f"{master}:password::"},
            ]
            + [
                {"name": _password_variable(s), "valueFrom": f"{arn}:password::"}
                for s, arn in service_secrets.items()
            ],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group.name,
                    "awslogs-region": config.region,
                    "awslogs-stream-prefix": "db-init",
                },
            },
        }
        self.task = EcsTaskDefinition(
            self,
            "task",
            family=f"{prefix}-db-init",
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            execution_role_arn=role.arn,
            container_definitions=json.dumps([container]),
        )
