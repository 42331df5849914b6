"""An applied environment brought up with Docker: networks, database, the one-off init task,
every service's tasks behind the load balancer stand-in; and brought down as ECS would."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netflux_devstack.ports import free_port
from netflux_infra_testing.fargate.aws import Emulator
from netflux_infra_testing.fargate.balancer import Balancer
from netflux_infra_testing.fargate.containers import Placement, TaskRunner
from netflux_infra_testing.fargate.database import RunningDatabase, start_database
from netflux_infra_testing.fargate.docker import Docker
from netflux_infra_testing.fargate.errors import RunFailed
from netflux_infra_testing.fargate.readback import Environment, read_environment
from netflux_infra_testing.fargate.scheduler import Scheduler, ServiceTasks
from netflux_infra_testing.fargate.service_connect import (
    ServiceConnect,
    check_callers,
    read_service_connect,
)


@dataclass
class RunningEnvironment:
    aws: Emulator
    environment: Environment
    docker: Docker
    database: RunningDatabase
    balancer: Balancer
    scheduler: Scheduler
    services: dict[str, ServiceTasks] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def bring_up(
    aws: Emulator, prefix: str, docker: Docker, say: Callable[[str], None]
) -> RunningEnvironment:
    started = time.monotonic()
    environment = read_environment(aws, prefix)
    connect = read_service_connect(aws, environment.services)
    check_callers(environment.services, connect)
    say(
        f"read back: {len(environment.services)} services, "
        f"{len(environment.listener_rules)} listener rules, "
        f"Service Connect {', '.join(f'{e.dns_name}:{e.port}' for e in connect.endpoints)}, "
        f"database {environment.database.host}"
    )
    vpc = docker.network(f"{docker.run_id}-vpc")
    namespace_networks = {
        ns: docker.network(f"{docker.run_id}-sc-{ns}") for ns in set(connect.namespaces.values())
    }
    database = start_database(aws, docker, vpc, environment.database)
    say(f"database {database.host} up (TLS, force_ssl={database.force_ssl})")
    runner = TaskRunner(docker, aws, prefix, environment.pull_through_prefixes, say)
    balancer = Balancer(
        aws, environment.target_groups, environment.listener_rules, environment.distribution
    )
    balancer.start(free_port())
    running = RunningEnvironment(
        aws, environment, docker, database, balancer, Scheduler(runner, balancer, say)
    )
    running.timings["database"] = time.monotonic() - started

    started = time.monotonic()
    for family, definition in environment.one_off_tasks.items():
        run_one_off(running, family, definition, vpc, say)
    running.timings["init task"] = time.monotonic() - started

    started = time.monotonic()
    for name, service in environment.services.items():
        placement = _placement(vpc, namespace_networks, connect, name)
        running.services[name] = ServiceTasks(service, placement)
        for _ in range(service.desired_count):
            running.scheduler.start_task(running.services[name], service.task_definition)
    for name, tasks in running.services.items():
        for task in list(tasks.tasks):
            seconds = running.scheduler.wait_healthy(tasks, task)
            say(f"{name}: task {task.id} healthy (containers and target) after {seconds:.0f} s")
    running.timings["services healthy"] = time.monotonic() - started
    return running


def _placement(
    vpc: str, networks: dict[str, str], connect: ServiceConnect, service: str
) -> Placement:
    aliases: dict[str, tuple[str, ...]] = {}
    namespace = connect.namespaces.get(service)
    if namespace is not None:
        aliases[networks[namespace]] = connect.aliases(service).get(namespace, ())
    return Placement(vpc, aliases)


def run_one_off(
    running: RunningEnvironment,
    family: str,
    definition: dict[str, Any],
    vpc: str,
    say: Callable[[str], None],
) -> None:
    """A task family no service runs (the database init task): what docs/deploy.md has the
    operator do — give each service role a password in its secret when it has none, then
    `aws ecs run-task` it — and it must exit 0."""
    _give_passwords(running.aws, definition, say)
    task = running.scheduler.runner.start(definition, Placement(vpc), wait_for=120)
    deadline = time.monotonic() + 120
    while any(running.scheduler.runner.state(task, c)["Running"] for c in task.containers):
        if time.monotonic() > deadline:
            raise RunFailed(f"one-off task {family} did not finish in 120 s")
        time.sleep(0.5)
    for name, container in task.containers.items():
        code = running.scheduler.runner.state(task, name)["ExitCode"]
        logs = running.docker.logs(container, 20)
        if code != 0:
            running.scheduler.runner.remove(task)
            raise RunFailed(f"one-off task {family}: {name} exited {code}:\n{logs}")
        say(f"one-off task {family}: {name} exited 0 ({logs.splitlines()[-1] if logs else ''})")
    running.scheduler.runner.remove(task)


def _give_passwords(aws: Emulator, definition: dict[str, Any], say: Callable[[str], None]) -> None:
    manager = aws.client("secretsmanager")
    arns = {
        ":".join(entry["valueFrom"].split(":")[:7])
        for container in definition["containerDefinitions"]
        for entry in container.get("secrets", [])
    }
    for arn in sorted(arns):
        document = json.loads(manager.get_secret_value(SecretId=arn)["SecretString"])
        if "password" in document and document["password"] == "" and "dbname" in document:
            document["password"] = secrets.token_urlsafe(30)
            manager.put_secret_value(SecretId=arn, SecretString=json.dumps(document))
            say(f"operator step: generated a password into {arn.split(':')[-1]}")


def bring_down(
    running: RunningEnvironment, say: Callable[[str], None]
) -> dict[str, dict[str, int]]:
    """Stop every task like ECS (SIGTERM, stopTimeout, SIGKILL) after draining it; returns the
    containers' exit codes per task."""
    codes = {}
    for tasks in running.services.values():
        for task in list(tasks.tasks):
            codes[task.id] = running.scheduler.retire(tasks, task)
    return codes
