"""What `make deploy` relies on in the synthesized stacks: a required image tag, generated
database passwords, the init container each service waits for, Terraform owning the running
task definition."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from netflux_catalogue import SERVICES, by_name
from netflux_infra.dbinit import init_script
from netflux_infra.image_tag import ERROR_MESSAGE, PATTERN, TERRAFORM_CONDITION, checked
from netflux_infra_testing.synthesized import Stack

INIT_SQL = Path(__file__).resolve().parents[2] / "init.sql"


def containers(stack: Stack, service: str) -> dict[str, dict[str, Any]]:
    task = stack.named("aws_ecs_task_definition", f"task-{by_name(service).short}")
    return {c["name"]: c for c in json.loads(task["container_definitions"])}


def test_no_resource_names_latest_and_images_take_the_variable(stack: Stack) -> None:
    text = json.dumps(stack.json)

    assert not re.search(r":latest\b", text)
    for spec in SERVICES:
        image = containers(stack, spec.name)[spec.name]["image"]
        repository = stack.ref("aws_ecr_repository", f"registry_{spec.short}", "repository_url")
        assert image == f"{repository}:${{var.image_tag}}"


def test_image_tag_is_required_and_validated(stack: Stack) -> None:
    variable = stack.json["variable"]["image_tag"]

    assert "default" not in variable
    assert variable["nullable"] is False
    assert variable["type"] == "string"
    assert variable["validation"] == [
        {"condition": TERRAFORM_CONDITION, "error_message": ERROR_MESSAGE}
    ]
    assert f'"{PATTERN}", var.image_tag' in TERRAFORM_CONDITION
    assert 'var.image_tag != "latest"' in TERRAFORM_CONDITION


@pytest.mark.parametrize("tag", ["0123456789ab", "v1.2.3", "release_7"])
def test_commit_and_release_tags_pass_the_same_rule(tag: str) -> None:
    assert checked(tag) == tag


def test_each_service_waits_for_its_db_init_container(stack: Stack) -> None:
    for spec in SERVICES:
        found = containers(stack, spec.name)
        init, app = found["db-init"], found[spec.name]

        assert list(found)[:2] == ["db-init", spec.name]  # optional sidecars follow
        assert app["dependsOn"] == [{"containerName": "db-init", "condition": "SUCCESS"}]
        assert app["essential"] is True
        assert init["essential"] is False
        assert init["image"].endswith("-ecr-public/docker/library/postgres:16-alpine")
        env = {e["name"]: e["value"] for e in init["environment"]}
        assert base64.b64decode(env["INIT_SQL_B64"]) == INIT_SQL.read_bytes()
        assert env["PGSSLMODE"] == "require"
        assert env["PGDATABASE"] == "netflux"
        assert env["PGHOST"] == stack.ref("aws_db_instance", "database_postgres", "address")


def test_db_init_reads_the_master_login_and_only_its_own_password(stack: Stack) -> None:
    master = stack.ref("aws_db_instance", "database_postgres", "master_user_secret[0].secret_arn")
    for spec in SERVICES:
        init = containers(stack, spec.name)["db-init"]
        own = stack.ref("aws_secretsmanager_secret", f"secret-{spec.short}_", "arn")

        assert {s["name"]: s["valueFrom"] for s in init["secrets"]} == {
            "PGUSER": f"{master}:username::",
            "PGPASSWORD": f"{master}:password::",
            "SERVICE_DB_PASSWORD": f"{own}:password::",
        }
        script = init["command"][-1]
        assert script == init_script(spec)
        assert f"ALTER ROLE {spec.db_role} PASSWORD" in script
        others = [s.db_role for s in SERVICES if s != spec]
        assert not any(f"ALTER ROLE {role}" in script for role in others)
        assert "pg_advisory_lock" in script


def test_execution_role_reads_the_master_secret_and_its_own_only(stack: Stack) -> None:
    master = stack.ref("aws_db_instance", "database_postgres", "master_user_secret[0].secret_arn")
    for spec in SERVICES:
        policy = json.loads(
            stack.named("aws_iam_role_policy", f"execution-policy-{spec.short}")["policy"]
        )
        reads = [s for s in policy["Statement"] if s["Action"] == ["secretsmanager:GetSecretValue"]]

        assert len(reads) == 1
        own = stack.ref("aws_secretsmanager_secret", f"secret-{spec.short}_", "arn")
        assert reads[0]["Resource"] == [own, master]


def test_service_passwords_are_generated_and_never_reset(stack: Stack) -> None:
    passwords = stack.json["data"]["aws_secretsmanager_random_password"]
    for spec in SERVICES:
        version = stack.named("aws_secretsmanager_secret_version", f"secret-{spec.short}-initial")
        [key] = [k for k in passwords if f"password-{spec.short}_" in k]

        assert passwords[key]["password_length"] >= 32
        assert passwords[key]["exclude_punctuation"] is True
        assert (
            f"data.aws_secretsmanager_random_password.{key}.random_password"
            in (version["secret_string"])
        )
        assert f'"username" = "{spec.db_role}"' in version["secret_string"]
        assert version["lifecycle"] == {"ignore_changes": ["secret_string"]}


def test_terraform_owns_the_running_task_definition(stack: Stack) -> None:
    for spec in SERVICES:
        service = stack.named("aws_ecs_service", f"service-{spec.short}")

        assert service["task_definition"] == stack.ref(
            "aws_ecs_task_definition", f"task-{spec.short}", "arn"
        )
        assert service["lifecycle"] == {"ignore_changes": ["desired_count"]}
        assert service["wait_for_steady_state"] is True
        assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
        # init container + start + three passing checks 30 s apart
        assert service["health_check_grace_period_seconds"] >= 180


def test_no_standalone_db_init_task(stack: Stack) -> None:
    families = {t["family"] for t in stack.resources("aws_ecs_task_definition").values()}

    assert families == {f"{stack.name}-{spec.name}" for spec in SERVICES}
    assert not {"db_init_task", "app_subnets", "app_security_group"} & set(stack.json["output"])


def test_the_init_script_is_valid_shell() -> None:
    shell = shutil.which("dash") or shutil.which("sh")
    assert shell
    for spec in SERVICES:
        syntax = subprocess.run([shell, "-n", "-c", init_script(spec)], capture_output=True)
        assert syntax.returncode == 0, syntax.stderr
