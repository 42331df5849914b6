"""The delivery pipeline agrees with buildspec.yml and with the environments it deploys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from netflux_infra.config import ENVIRONMENTS
from netflux_infra.pipeline_permissions import Role, Scope, grants
from netflux_infra_testing.synthesized import Stack

ROOT = Path(__file__).resolve().parents[2]


def stages(stacks: dict[str, Stack]) -> list[dict[str, Any]]:
    return list(stacks["pipeline"].only("aws_codepipeline")["stage"])


def test_stages_run_source_build_staging_approval_prod(stacks: dict[str, Stack]) -> None:
    names = [s["name"] for s in stages(stacks)]

    assert names == ["Source", "Build", "Deploy-staging", "Approve-prod", "Deploy-prod"]
    source = stages(stacks)[0]["action"][0]
    assert source["provider"] == "CodeStarSourceConnection"
    assert source["configuration"]["BranchName"] == "main"
    approval = stages(stacks)[3]["action"][0]
    assert (approval["category"], approval["provider"]) == ("Approval", "Manual")


def test_build_outputs_are_the_buildspec_secondary_artifacts(stacks: dict[str, Stack]) -> None:
    buildspec = yaml.safe_load((ROOT / "buildspec.yml").read_text())
    [build] = stages(stacks)[1]["action"]
    deploy_inputs = [
        a["input_artifacts"][0]
        for s in stages(stacks)
        if s["name"].startswith("Deploy")
        for a in s["action"]
    ]

    assert build["provider"] == "CodeBuild"
    assert set(build["output_artifacts"]) == set(buildspec["artifacts"]["secondary-artifacts"])
    assert sorted(deploy_inputs) == sorted(build["output_artifacts"])
    assert buildspec["env"]["variables"]["DEPLOY_ENVIRONMENTS"].split() == list(ENVIRONMENTS)


def test_each_deploy_targets_the_container_its_imagedefinitions_name(
    stacks: dict[str, Stack],
) -> None:
    for stage in stages(stacks):
        if not stage["name"].startswith("Deploy-"):
            continue
        env = stage["name"].removeprefix("Deploy-")
        for action in stage["action"]:
            config = action["configuration"]
            assert action["provider"] == "ECS"
            assert config["ClusterName"] == stacks[env].only("aws_ecs_cluster")["name"]
            short = config["ServiceName"].removesuffix("-service")
            task = stacks[env].named("aws_ecs_task_definition", f"task-{short}")
            names = [c["name"] for c in json.loads(task["container_definitions"])]
            # `make release` writes imagedefinitions naming the container after the service
            # (sidecars beside it keep their own images).
            assert config["ServiceName"] == action["name"]
            assert config["ServiceName"] in names
            assert action["input_artifacts"] == [f"{env}_{short}"]
            assert config["FileName"] == "imagedefinitions.json"
            service = stacks[env].named("aws_ecs_service", f"service-{short}")
            assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}


def test_codebuild_runs_privileged_on_the_standard_image(stacks: dict[str, Stack]) -> None:
    project = stacks["pipeline"].only("aws_codebuild_project")

    assert project["source"] == {"buildspec": "buildspec.yml", "type": "CODEPIPELINE"}
    assert project["environment"]["privileged_mode"] is True
    assert project["environment"]["image"].startswith("aws/codebuild/standard:")
    report = stacks["pipeline"].only("aws_codebuild_report_group")
    assert report["name"] == f"{project['name']}-pytest"  # where the buildspec's report lands


def policy_statements(pipeline: Stack, name: str) -> list[dict[str, Any]]:
    return list(json.loads(pipeline.named("aws_iam_role_policy", name)["policy"])["Statement"])


def by_sid(statements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in statements}


@pytest.mark.parametrize("role", ["pipeline", "build"])
def test_each_role_holds_exactly_the_documented_grants(
    stacks: dict[str, Stack], role: Role
) -> None:
    statements = policy_statements(stacks["pipeline"], f"{role}-policy")

    assert [(s["Sid"], s["Action"]) for s in statements] == [
        (g.sid, list(g.api_calls)) for g in grants(role)
    ]
    assert all(s["Effect"] == "Allow" for s in statements)
    assert all(g.doc.startswith("https://docs.aws.amazon.com/") for g in grants(role))
    # "*" only where the table says the action has no resource-level permission.
    unscoped = {s["Sid"] for s in statements if s["Resource"] == ["*"]}
    assert unscoped == {g.sid for g in grants(role) if g.scope is Scope.ANY}


def test_ecs_deploy_may_tag_only_the_task_definitions_it_registers(
    stacks: dict[str, Stack],
) -> None:
    tag = by_sid(policy_statements(stacks["pipeline"], "pipeline-policy"))[
        "TagRegisteredTaskDefinitions"
    ]

    assert tag["Action"] == ["ecs:TagResource"]
    assert tag["Condition"] == {"StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}}
    families = {
        task["family"]
        for env in ENVIRONMENTS
        for key, task in stacks[env].resources("aws_ecs_task_definition").items()
        if key.startswith("compute_task-")
    }
    assert sorted(r.split(":task-definition/")[1] for r in tag["Resource"]) == sorted(
        f"{family}:*" for family in families
    )


def test_pipeline_role_updates_only_the_netflux_services_and_passes_only_their_roles(
    stacks: dict[str, Stack],
) -> None:
    statements = by_sid(policy_statements(stacks["pipeline"], "pipeline-policy"))
    update, pass_role = statements["Services"], statements["PassTaskRoles"]

    assert update["Action"] == ["ecs:DescribeServices", "ecs:UpdateService"]
    assert sorted(r.split(":service/")[1] for r in update["Resource"]) == sorted(
        f"netflux-{env}/{svc}"
        for env in ENVIRONMENTS
        for svc in ("movie-service", "customer-service")
    )
    roles = {
        role["name"]
        for env in ENVIRONMENTS
        for key, role in stacks[env].resources("aws_iam_role").items()
        if key.startswith(("compute_execution-role-", "compute_task-role-"))
    }
    assert sorted(r.rsplit(":role/", 1)[1] for r in pass_role["Resource"]) == sorted(roles)
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }
    assert statements["UseConnection"]["Resource"] == [
        stacks["pipeline"].ref("aws_codestarconnections_connection", "connection", "arn")
    ]
    assert statements["RunBuild"]["Resource"] == [
        stacks["pipeline"].ref("aws_codebuild_project", "build", "arn")
    ]


def test_build_role_pushes_only_to_the_service_repositories(stacks: dict[str, Stack]) -> None:
    pipeline = stacks["pipeline"]
    statements = by_sid(policy_statements(pipeline, "build-policy"))
    push = statements["PushImages"]
    repos = {r.rsplit(":repository/", 1)[1] for r in push["Resource"]}

    expected = {
        repo["name"]
        for env in ENVIRONMENTS
        for repo in stacks[env].resources("aws_ecr_repository").values()
    }
    assert repos == expected
    assert statements["RegistryLogin"] == {
        "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": ["*"],
        "Sid": "RegistryLogin",
    }  # fmt: skip
    s3 = [r for s in statements.values() for r in s["Resource"] if "s3" in json.dumps(s["Action"])]
    artifacts = pipeline.ref("aws_s3_bucket", "artifacts_bucket", "arn")
    assert set(s3) == {artifacts, f"{artifacts}/*"}
    logs = pipeline.ref("aws_cloudwatch_log_group", "build-logs", "arn")
    assert statements["BuildLogs"]["Resource"] == [f"{logs}:*"]


def test_artifact_bucket_is_private_encrypted_and_expires(stacks: dict[str, Stack]) -> None:
    pipeline = stacks["pipeline"]
    block = pipeline.named("aws_s3_bucket_public_access_block", "artifacts")
    lifecycle = pipeline.named("aws_s3_bucket_lifecycle_configuration", "artifacts")

    assert all(
        block[k] for k in ("block_public_acls", "block_public_policy", "restrict_public_buckets")
    )
    assert pipeline.named("aws_s3_bucket_server_side_encryption_configuration", "artifacts")
    assert any(rule.get("expiration") for rule in lifecycle["rule"])
