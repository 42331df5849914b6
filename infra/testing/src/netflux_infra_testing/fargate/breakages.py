"""Deliberate breakages, each a small edit of the synthesized stack before the apply: the run
must then fail, readably. `--break NAME` on the rehearsal applies one (movie-service's side).

    secret-key      a secret's JSON key that the secret does not have (DB_PASSWORD <- passwd)
    connect-alias   movie-service's Service Connect client alias renamed; customer-service
                    still calls http://movie-service:8080
    execution-role  the execution role loses secretsmanager:GetSecretValue
    image-tag       the task definition names an image tag that was never built or pushed
    health-path     the target group's health check path does not exist
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

SERVICE = "movie-service"
Stack = dict[str, Any]


def _task_definition(stack: Stack) -> dict[str, Any]:
    [found] = [
        v
        for v in stack["resource"]["aws_ecs_task_definition"].values()
        if v["family"].endswith(f"-{SERVICE}")
    ]
    return dict(found)


def _edit_containers(stack: Stack, edit: Callable[[dict[str, Any]], None]) -> None:
    definition = _task_definition(stack)
    containers = json.loads(definition["container_definitions"])
    for container in containers:
        if container["name"] == SERVICE:
            edit(container)
    definition["container_definitions"] = json.dumps(containers)
    for key, value in stack["resource"]["aws_ecs_task_definition"].items():
        if value["family"] == definition["family"]:
            stack["resource"]["aws_ecs_task_definition"][key] = definition


def secret_key(stack: Stack) -> None:
    def edit(container: dict[str, Any]) -> None:
        for entry in container["secrets"]:
            if entry["name"] == "DB_PASSWORD":
                entry["valueFrom"] = entry["valueFrom"].replace(":password:", ":passwd:")

    _edit_containers(stack, edit)


def connect_alias(stack: Stack) -> None:
    [service] = [v for v in stack["resource"]["aws_ecs_service"].values() if v["name"] == SERVICE]
    for offered in service["service_connect_configuration"]["service"]:
        offered["client_alias"]["dns_name"] = "movies"


def execution_role(stack: Stack) -> None:
    role_policies = stack["resource"]["aws_iam_role_policy"]
    short = SERVICE.removesuffix("-service")
    [key] = [k for k in role_policies if k.startswith(f"compute_execution-policy-{short}_")]
    document = json.loads(role_policies[key]["policy"])
    document["Statement"] = [
        s for s in document["Statement"] if "secretsmanager:GetSecretValue" not in s["Action"]
    ]
    role_policies[key]["policy"] = json.dumps(document)


def image_tag(stack: Stack) -> None:
    def edit(container: dict[str, Any]) -> None:
        container["image"] = re.sub(r":[^:/]+$", ":never-built", container["image"])

    _edit_containers(stack, edit)


def health_path(stack: Stack) -> None:
    short = SERVICE.removesuffix("-service")
    for group in stack["resource"]["aws_lb_target_group"].values():
        if group["name"].endswith(f"-{short}"):
            group["health_check"]["path"] = "/actuator/no-such-path"


BREAKAGES: dict[str, Callable[[Stack], None]] = {
    "secret-key": secret_key,
    "connect-alias": connect_alias,
    "execution-role": execution_role,
    "image-tag": image_tag,
    "health-path": health_path,
}


def apply_breakage(name: str, stack_json: Path) -> None:
    stack = json.loads(stack_json.read_text())
    BREAKAGES[name](stack)
    stack_json.write_text(json.dumps(stack, indent=2))
