"""A service's ECS container definition, as plain data: unit-tested without synthesis."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netflux_catalogue import (
    CONTAINER_PORT,
    DATABASE_NAME,
    HEALTH_PATH,
    PORT_NAME,
    Service,
    by_name,
)

# Variables every service reads; DB_HOST, DB_PORT, DB_USERNAME and DB_PASSWORD come from the
# service's Secrets Manager secret (keys host, port, username, password).
SECRET_KEYS = {
    "DB_HOST": "host",
    "DB_PORT": "port",
    "DB_USERNAME": "username",
    "DB_PASSWORD": "password",
}


def awslogs(log_group: str, region: str, stream_prefix: str) -> dict[str, Any]:
    """A container's log configuration: the awslogs driver into the service's log group
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html)."""
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": log_group,
            "awslogs-region": region,
            "awslogs-stream-prefix": stream_prefix,
        },
    }


def callee_environment(service: Service) -> dict[str, str]:
    """Where the services it calls are: their Service Connect client aliases."""
    return {
        by_name(callee).url_variable: f"http://{callee}:{CONTAINER_PORT}"
        for callee in service.calls
    }


# The image's HEALTHCHECK, repeated for ECS (it ignores Docker's): python is all the image has.
HEALTH_COMMAND = (
    'python3 -c "import urllib.request; '
    f"urllib.request.urlopen('http://127.0.0.1:{CONTAINER_PORT}{HEALTH_PATH}', timeout=2)\""
)


def container_definition(
    *,
    name: str,
    image: str,
    environment: Mapping[str, str],
    secret_arn: str,
    log_group: str,
    log_stream_prefix: str,
    region: str,
    starts_after: str | None = None,
) -> dict[str, Any]:
    """The one container of a service's task: its port for the load balancer and Service
    Connect, its settings (`environment` adds to or overrides the common ones), its database
    login from `secret_arn`, its logs and health check; with `starts_after`, it starts only
    once that container of the task has exited 0."""
    definition: dict[str, Any] = {
        "name": name,
        "image": image,
        "essential": True,
        "readonlyRootFilesystem": True,
        "portMappings": [
            {
                "name": PORT_NAME,
                "containerPort": CONTAINER_PORT,
                "protocol": "tcp",
                "appProtocol": "http",
            }
        ],
        "environment": [
            {"name": k, "value": v}
            for k, v in sorted(
                {
                    "PORT": str(CONTAINER_PORT),
                    "DB_NAME": DATABASE_NAME,
                    "LOG_LEVEL": "INFO",
                    **environment,
                }.items()
            )
        ],
        "secrets": [
            {"name": var, "valueFrom": f"{secret_arn}:{key}::"} for var, key in SECRET_KEYS.items()
        ],
        "logConfiguration": awslogs(log_group, region, log_stream_prefix),
        "healthCheck": {
            "command": ["CMD-SHELL", HEALTH_COMMAND],
            "interval": 15,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 30,
        },
        "stopTimeout": 30,  # SIGTERM, then 30 s to drain, then SIGKILL
    }
    if starts_after:
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDependency.html
        definition["dependsOn"] = [{"containerName": starts_after, "condition": "SUCCESS"}]
    return definition
