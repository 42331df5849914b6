"""The operations features of issue 14 (ECS Exec, the ADOT collector, the read replica), each on
and off, asserted on synthesized Terraform: configs with every flag flipped are synthesized
once, beside the real environments (whose defaults are checked against them)."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from netflux_catalogue import SERVICES
from netflux_infra.config import PROD, STAGING, EnvironmentConfig
from netflux_infra.ecs_exec import SSM_MESSAGES_ACTIONS
from netflux_infra.read_replica import READ_HOST_VARIABLE
from netflux_infra.task_additions import NOTHING, TaskAdditions
from netflux_infra.tracing import (
    COLLECTOR_CONFIG,
    COLLECTOR_NAME,
    COLLECTOR_VERSION,
    ENDPOINT_VARIABLE,
    XRAY_ACTIONS,
)
from netflux_infra_testing.synthesized import Stack

FLAGS = ("ecs_exec", "tracing", "db_read_replica")


def flipped(base: EnvironmentConfig, name: str, on: bool) -> EnvironmentConfig:
    return EnvironmentConfig(**{**base.model_dump(), "name": name, **dict.fromkeys(FLAGS, on)})


@pytest.fixture(scope="module")
def variants() -> Iterator[dict[str, Stack]]:
    """Every flag on (from staging's config) and every flag off (from prod's)."""
    from cdktf import App

    from netflux_infra.stack import NetfluxStack

    outdir = Path(tempfile.mkdtemp(prefix="netflux-ops-synth-"))
    app = App(outdir=str(outdir))
    configs = {"on": flipped(STAGING, "opson", True), "off": flipped(PROD, "opsoff", False)}
    for config in configs.values():
        NetfluxStack(app, config.names.stack, config)
    app.synth()
    yield {
        key: Stack(config.names.stack, outdir / "stacks" / config.names.stack)
        for key, config in configs.items()
    }
    shutil.rmtree(outdir, ignore_errors=True)


@pytest.fixture
def on(variants: dict[str, Stack]) -> Stack:
    return variants["on"]


@pytest.fixture
def off(variants: dict[str, Stack]) -> Stack:
    return variants["off"]


def containers(stack: Stack, service: str) -> dict[str, dict[str, Any]]:
    task = stack.named("aws_ecs_task_definition", f"task-{service.removesuffix('-service')}")
    return {c["name"]: c for c in json.loads(task["container_definitions"])}


def environment(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["environment"]}


def statements(stack: Stack, kind: str, fragment: str) -> list[dict[str, Any]]:
    found = [r for key, r in stack.json["resource"].get(kind, {}).items() if fragment in key]
    return [s for r in found for s in json.loads(r["policy"])["Statement"]]


def actions(stmts: list[dict[str, Any]]) -> set[str]:
    return {
        a for s in stmts for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }


def endpoint_services(stack: Stack) -> set[str]:
    return {
        e["service_name"].split(".", 3)[-1] for e in stack.resources("aws_vpc_endpoint").values()
    }


# --- defaults ---------------------------------------------------------------------------------


def test_defaults_exec_and_tracing_in_staging_replica_in_prod() -> None:
    assert (STAGING.ecs_exec, STAGING.tracing, STAGING.db_read_replica) == (True, False, False)
    assert (PROD.ecs_exec, PROD.tracing, PROD.db_read_replica) == (False, False, True)


def test_the_real_stacks_follow_their_flags(stacks: dict[str, Stack]) -> None:
    staging, prod = stacks["staging"], stacks["prod"]

    assert all(s["enable_execute_command"] for s in staging.resources("aws_ecs_service").values())
    assert not any(
        s.get("enable_execute_command") for s in prod.resources("aws_ecs_service").values()
    )
    assert {"ssmmessages", "kms"} <= endpoint_services(staging)
    assert not {"ssmmessages", "kms", "xray"} & endpoint_services(prod)
    assert len(staging.resources("aws_db_instance")) == 1
    assert len(prod.resources("aws_db_instance")) == 2
    assert "db_read_replica_address" in prod.json["output"]


# --- ECS Exec ---------------------------------------------------------------------------------


def test_exec_on_enables_execute_command_on_every_service(on: Stack) -> None:
    services = on.resources("aws_ecs_service").values()

    assert len(services) == len(SERVICES)
    assert all(s["enable_execute_command"] is True for s in services)


def test_exec_sessions_are_encrypted_and_logged_to_an_encrypted_group(on: Stack) -> None:
    key_arn = on.ref("aws_kms_key", "exec-sessions", "arn")
    group = on.named("aws_cloudwatch_log_group", "exec-sessions")
    config = on.only("aws_ecs_cluster")["configuration"]["execute_command_configuration"]

    assert config["logging"] == "OVERRIDE"
    assert config["kms_key_id"] == key_arn
    log = config["log_configuration"]
    assert log["cloud_watch_encryption_enabled"] is True
    assert log["cloud_watch_log_group_name"] == on.ref(
        "aws_cloudwatch_log_group", "exec-sessions", "name"
    )
    assert group["name"] == "/ecs/netflux-opson/exec-sessions"
    assert group["kms_key_id"] == key_arn
    assert on.named("aws_kms_key", "exec-sessions")["enable_key_rotation"] is True


def test_the_key_admits_cloudwatch_logs_for_the_session_group_only(on: Stack) -> None:
    key = on.named("aws_kms_key", "exec-sessions")
    stmts = json.loads(key["policy"])["Statement"]
    [logs] = [s for s in stmts if s["Principal"].get("Service")]

    assert logs["Principal"]["Service"] == "logs.us-east-1.amazonaws.com"
    assert "kms:GenerateDataKey*" in logs["Action"]
    arn = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    assert arn.startswith("arn:aws:logs:us-east-1:")
    assert arn.endswith(":log-group:/ecs/netflux-opson/exec-sessions")
    assert all(s["Principal"] != "*" for s in stmts)


def test_exec_task_role_can_open_channels_log_and_decrypt(on: Stack) -> None:
    for spec in SERVICES:
        stmts = statements(on, "aws_iam_role_policy", f"task-policy-{spec.short}")
        by_action = {a: s["Resource"] for s in stmts for a in s["Action"]}

        assert set(SSM_MESSAGES_ACTIONS) <= set(by_action)
        assert by_action["logs:PutLogEvents"] == [
            on.ref("aws_cloudwatch_log_group", "exec-sessions", "arn") + ":*"
        ]
        assert by_action["kms:Decrypt"] == [on.ref("aws_kms_key", "exec-sessions", "arn")]


def test_exec_on_makes_the_root_writable_with_an_init_process(on: Stack) -> None:
    for spec in SERVICES:
        app = containers(on, spec.name)[spec.name]

        assert app["readonlyRootFilesystem"] is False
        assert app["linuxParameters"] == {"initProcessEnabled": True}


def test_exec_on_adds_its_endpoints(on: Stack) -> None:
    assert {"ssmmessages", "kms"} <= endpoint_services(on)


def test_exec_off_leaves_no_trace(off: Stack) -> None:
    assert not any(
        s.get("enable_execute_command") for s in off.resources("aws_ecs_service").values()
    )
    assert "configuration" not in off.only("aws_ecs_cluster")
    assert not [key for key in off.resources("aws_kms_key") if "exec-sessions" in key]
    assert not {"ssmmessages", "kms"} & endpoint_services(off)
    for spec in SERVICES:
        app = containers(off, spec.name)[spec.name]
        assert app["readonlyRootFilesystem"] is True
        assert "linuxParameters" not in app
    assert "aws_iam_role_policy" in off.json["resource"]  # execution roles still have theirs
    assert not statements(off, "aws_iam_role_policy", "task-policy-")


def test_cluster_arn_is_an_output_for_the_access_stack(on: Stack, off: Stack) -> None:
    for stack in (on, off):
        assert stack.json["output"]["cluster_arn"]["value"] == stack.ref(
            "aws_ecs_cluster", "cluster", "arn"
        )
    assert "exec_session_key_arn" in on.json["output"]
    assert "exec_session_key_arn" not in off.json["output"]


# --- tracing ----------------------------------------------------------------------------------


def test_tracing_on_runs_a_collector_beside_each_service(on: Stack) -> None:
    cache = on.only("aws_ecr_pull_through_cache_rule")
    for spec in SERVICES:
        found = containers(on, spec.name)
        collector = found[COLLECTOR_NAME]

        assert set(found) == {"db-init", spec.name, COLLECTOR_NAME}
        assert collector["essential"] is False  # the service keeps serving without it
        assert collector["image"].endswith(
            f"/{cache['ecr_repository_prefix']}/aws-observability/aws-otel-collector:"
            f"{COLLECTOR_VERSION}"
        )
        assert collector["command"] == [f"--config={COLLECTOR_CONFIG}"]
        assert collector["readonlyRootFilesystem"] is True
        options = collector["logConfiguration"]["options"]
        assert options["awslogs-group"] == f"/ecs/netflux-opson/{spec.name}"
        env = environment(found[spec.name])
        assert env[ENDPOINT_VARIABLE] == "http://localhost:4318"
        # A tenth of the requests by default, decided where a request enters and followed.
        assert (env["OTEL_TRACES_SAMPLER"], env["OTEL_TRACES_SAMPLER_ARG"]) == (
            "parentbased_traceidratio",
            "0.1",
        )


def test_tracing_task_role_may_send_to_xray_and_pull_the_collector(on: Stack) -> None:
    for spec in SERVICES:
        assert set(XRAY_ACTIONS) <= actions(
            statements(on, "aws_iam_role_policy", f"task-policy-{spec.short}")
        )
        pulls = statements(on, "aws_iam_role_policy", f"execution-policy-{spec.short}")
        pulling = [s for s in pulls if "ecr:BatchGetImage" in s["Action"]]
        assert any(
            "aws-observability/aws-otel-collector" in r for s in pulling for r in s["Resource"]
        )
        assert "ecr:BatchImportUpstreamImage" in actions(pulls)
    assert "xray" in endpoint_services(on)


@pytest.mark.parametrize("ratio", [0, -0.5, 1.5])
def test_a_sample_ratio_outside_0_to_1_is_refused(ratio: float) -> None:
    with pytest.raises(ValidationError, match="trace_sample_ratio"):
        EnvironmentConfig(name="x", tracing=True, trace_sample_ratio=ratio)


def test_tracing_off_leaves_no_trace(off: Stack) -> None:
    for spec in SERVICES:
        found = containers(off, spec.name)
        assert set(found) == {"db-init", spec.name}
        assert ENDPOINT_VARIABLE not in environment(found[spec.name])
        assert "OTEL_TRACES_SAMPLER" not in environment(found[spec.name])
        pulls = statements(off, "aws_iam_role_policy", f"execution-policy-{spec.short}")
        assert not [r for s in pulls for r in s["Resource"] if "aws-otel-collector" in r]
    assert "xray" not in endpoint_services(off)


# --- read replica -----------------------------------------------------------------------------


def test_replica_copies_the_primary_in_its_network(on: Stack) -> None:
    replica = on.named("aws_db_instance", "read-replica")
    primary = "aws_db_instance", "database_postgres"

    assert replica["replicate_source_db"] == on.ref(*primary, "identifier")
    assert "db_subnet_group_name" not in replica  # a same-region replica takes the source's
    for argument in ("parameter_group_name", "monitoring_role_arn"):
        assert replica[argument] == on.ref(*primary, argument)
    groups = on.ref(*primary, "vpc_security_group_ids")
    assert replica["vpc_security_group_ids"] == "${tolist(" + groups[2:-1] + ")}"
    # What RDS refuses on a replica (it takes them from the source):
    assert not {"username", "password", "db_name", "manage_master_user_password"} & set(replica)
    assert replica["identifier"] == "netflux-opson-replica"
    assert replica["storage_encrypted"] is True
    assert replica["publicly_accessible"] is False
    assert replica["max_allocated_storage"] == STAGING.db_max_allocated_storage
    assert (replica["backup_retention_period"], replica["skip_final_snapshot"]) == (0, True)


def test_replica_is_read_by_movie_service_only(on: Stack) -> None:
    address = on.ref("aws_db_instance", "read-replica", "address")

    assert environment(containers(on, "movie-service")["movie-service"])[READ_HOST_VARIABLE] == (
        address
    )
    customer = containers(on, "customer-service")["customer-service"]
    assert READ_HOST_VARIABLE not in environment(customer)
    assert on.json["output"]["db_read_replica_address"]["value"] == address


def test_replica_off_means_no_replica_and_no_read_host(off: Stack) -> None:
    assert len(off.resources("aws_db_instance")) == 1
    for spec in SERVICES:
        assert READ_HOST_VARIABLE not in environment(containers(off, spec.name)[spec.name])
    assert "db_read_replica_address" not in off.json["output"]


def test_prod_replica_is_protected_and_as_available_as_the_primary(
    stacks: dict[str, Stack],
) -> None:
    replica = stacks["prod"].named("aws_db_instance", "read-replica")

    assert replica["deletion_protection"] is True
    assert replica["multi_az"] is True


# --- adding features up -----------------------------------------------------------------------


def test_additions_add_up_and_refuse_to_overwrite_each_other() -> None:
    a = TaskAdditions(environment={"A": "1"}, pull_actions=("x",), sidecars=({"name": "s"},))
    b = TaskAdditions(environment={"B": "2"}, pull_actions=("x", "y"), enable_execute_command=True)

    total = a + b + NOTHING
    assert dict(total.environment) == {"A": "1", "B": "2"}
    assert total.pull_actions == ("x", "y")
    assert total.enable_execute_command
    assert len(total.sidecars) == 1
    with pytest.raises(ValueError, match="same keys"):
        _ = a + TaskAdditions(environment={"A": "other"})
