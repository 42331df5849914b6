"""The infrastructure agrees with the services themselves, not with copied literals."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI

from customer_service.config import Settings as CustomerSettings
from customer_service.main import create_app as create_customer_app
from movie_service.config import Settings as MovieSettings
from movie_service.main import create_app as create_movie_app
from netflux_catalogue import CONTAINER_PORT, HEALTH_PATH, SERVICES
from netflux_catalogue.edge import ALB_IDLE_TIMEOUT_SECONDS, SERVICE_KEEP_ALIVE_SECONDS
from netflux_common.settings import ServiceSettings
from netflux_infra.config import ENVIRONMENTS
from netflux_infra.tracing import COLLECTOR_IMAGE
from netflux_infra_testing.synthesized import Stack

SETTINGS: dict[str, type[ServiceSettings]] = {
    "movie-service": MovieSettings,
    "customer-service": CustomerSettings,
}
# Set by infra for settings the services gain in branch obs (issue 14): tracing's OTLP endpoint
# and movie-service's read replica host. Delete this set once those Settings fields exist.
APPS: dict[str, Callable[[Any], FastAPI]] = {
    "movie-service": create_movie_app,
    "customer-service": create_customer_app,
}


def container(stack: Stack, service: str) -> dict[str, Any]:
    """The service's own container (a task may hold sidecars beside it)."""
    short = service.removesuffix("-service")
    task = stack.named("aws_ecs_task_definition", f"task-{short}")
    # The service's own container, named after it (the task also holds its db-init container).
    [definition] = [d for d in json.loads(task["container_definitions"]) if d["name"] == service]
    assert isinstance(definition, dict)
    return definition


def variables(definition: dict[str, Any]) -> dict[str, str]:
    env = {e["name"]: e["value"] for e in definition["environment"]}
    env.update({s["name"]: s["valueFrom"] for s in definition["secrets"]})
    return env


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
def test_task_sets_only_variables_the_service_reads(stack: Stack, service: str) -> None:
    fields = {name.upper() for name in SETTINGS[service].model_fields}
    env = variables(container(stack, service))

    assert set(env) <= fields, f"unknown to {service}: {set(env) - fields}"
    # Everything that must differ from a laptop is set: where the database is and who logs in.
    assert {"PORT", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USERNAME", "DB_PASSWORD"} <= set(env)
    assert "DATABASE_URL" not in env


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
def test_container_port_and_health_path_match_the_service(stack: Stack, service: str) -> None:
    definition = container(stack, service)
    env = variables(definition)
    settings = SETTINGS[service](port=int(env["PORT"]))
    app = APPS[service](settings)
    paths = set(app.openapi()["paths"])

    assert settings.port == CONTAINER_PORT == definition["portMappings"][0]["containerPort"]
    assert HEALTH_PATH in paths
    assert HEALTH_PATH in " ".join(definition["healthCheck"]["command"])
    tg = stack.named("aws_lb_target_group", f"tg-{service.removesuffix('-service')}")
    assert tg["health_check"]["path"] == HEALTH_PATH
    assert tg["port"] == settings.port


def test_customer_service_reaches_movie_service_through_service_connect(stack: Stack) -> None:
    env = variables(container(stack, "customer-service"))
    movie = stack.named("aws_ecs_service", "service-movie")
    alias = movie["service_connect_configuration"]["service"][0]["client_alias"]

    assert env["MOVIE_SERVICE_URL"] == f"http://{alias['dns_name']}:{alias['port']}"
    assert str(CustomerSettings(movie_service_url=env["MOVIE_SERVICE_URL"]).movie_service_url)


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
def test_database_credentials_come_from_the_service_secret(stack: Stack, service: str) -> None:
    short = service.removesuffix("-service")
    secret = stack.ref("aws_secretsmanager_secret", f"secret-{short}_", "arn")
    definition = container(stack, service)
    secrets = {s["name"]: s["valueFrom"] for s in definition["secrets"]}

    assert secrets == {
        "DB_HOST": f"{secret}:host::",
        "DB_PORT": f"{secret}:port::",
        "DB_USERNAME": f"{secret}:username::",
        "DB_PASSWORD": f"{secret}:password::",
    }
    initial = stack.named("aws_secretsmanager_secret_version", f"secret-{short}-initial")
    # A jsonencode() expression: the password is generated at apply time.
    assert f'"username" = "{short}_service"' in initial["secret_string"]  # init.sql's role


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
def test_execution_role_reaches_only_this_services_resources(stack: Stack, service: str) -> None:
    short = service.removesuffix("-service")
    policy = json.loads(stack.named("aws_iam_role_policy", f"execution-policy-{short}")["policy"])
    resources = {r for s in policy["Statement"] for r in s["Resource"]}
    env_name = stack.name.removeprefix("netflux-")
    # With tracing on, the ADOT collector's image through the pull-through cache (tracing.py).
    collector = (
        {f"arn:aws:ecr:us-east-1:*:repository/netflux-{env_name}-ecr-public/{COLLECTOR_IMAGE}"}
        if ENVIRONMENTS[env_name].tracing
        else set()
    )

    assert resources == collector | {
        "*",  # ecr:GetAuthorizationToken has no resource-level permission
        stack.ref("aws_ecr_repository", f"registry_{short}_", "arn"),
        stack.ref("aws_cloudwatch_log_group", f"logs-{short}", "arn") + ":*",
        stack.ref("aws_secretsmanager_secret", f"secret-{short}_", "arn"),
        # its db-init container: the RDS master login and the PostgreSQL image's cache
        stack.ref("aws_db_instance", "database_postgres", "master_user_secret[0].secret_arn"),
        f"arn:aws:ecr:us-east-1:*:repository/{stack.name}-ecr-public/*",
    }
    wildcard = [s for s in policy["Statement"] if s["Resource"] == ["*"]]
    assert [s["Action"] for s in wildcard] == [["ecr:GetAuthorizationToken"]]
    assert "aws_iam_role_policy_attachment" not in json.dumps(
        {k: v for k, v in stack.json["resource"].items() if "task-role" in json.dumps(v)}
    )


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
def test_only_the_vpc_may_set_forwarding_headers(stack: Stack, service: str) -> None:
    env = variables(container(stack, service))

    assert env["FORWARDED_ALLOW_IPS"] == stack.only("aws_vpc")["cidr_block"]


def test_the_load_balancer_closes_idle_connections_before_the_services_do(stack: Stack) -> None:
    alb_idle = stack.only("aws_lb")["idle_timeout"]

    assert alb_idle == ALB_IDLE_TIMEOUT_SECONDS < SERVICE_KEEP_ALIVE_SECONDS


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
def test_a_stopping_task_drains_before_it_is_killed(stack: Stack, service: str) -> None:
    # ECS deregisters the target (no new requests after the deregistration delay), then sends
    # SIGTERM and SIGKILLs after stopTimeout; the service drains in-flight requests for
    # SHUTDOWN_GRACE_SECONDS in between (tests/faults/test_sigterm.py shows the draining).
    short = service.removesuffix("-service")
    delay = int(stack.named("aws_lb_target_group", f"tg-{short}")["deregistration_delay"])
    stop_timeout = container(stack, service)["stopTimeout"]
    grace = SETTINGS[service]().shutdown_grace_seconds

    # 120 s is Fargate's maximum stopTimeout (https://docs.aws.amazon.com/AmazonECS/latest/
    # developerguide/task_definition_parameters.html#container_definition_timeout).
    assert 0 < grace < stop_timeout <= 120
    assert delay <= stop_timeout
