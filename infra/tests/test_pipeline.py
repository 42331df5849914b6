"""The delivery pipeline agrees with buildspec.yml and with the environments it deploys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from netflux_infra.config import ENVIRONMENTS
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


def test_build_role_pushes_only_to_the_service_repositories(stacks: dict[str, Stack]) -> None:
    pipeline = stacks["pipeline"]
    statements = json.loads(pipeline.named("aws_iam_role_policy", "build-policy")["policy"])[
        "Statement"
    ]
    push = next(s for s in statements if "ecr:PutImage" in s["Action"])
    repos = {r.rsplit(":repository/", 1)[1] for r in push["Resource"]}

    expected = {
        repo["name"]
        for env in ENVIRONMENTS
        for repo in stacks[env].resources("aws_ecr_repository").values()
    }
    assert repos == expected
    wildcard = [s["Action"] for s in statements if s["Resource"] == ["*"]]
    assert wildcard == [["ecr:GetAuthorizationToken"]]
    s3 = [r for s in statements for r in s["Resource"] if "s3" in json.dumps(s["Action"])]
    artifacts = pipeline.ref("aws_s3_bucket", "artifacts_bucket", "arn")
    assert set(s3) == {artifacts, f"{artifacts}/*"}


def test_pipeline_role_updates_only_the_netflux_services(stacks: dict[str, Stack]) -> None:
    statements = json.loads(
        stacks["pipeline"].named("aws_iam_role_policy", "pipeline-policy")["policy"]
    )["Statement"]
    update = next(s for s in statements if "ecs:UpdateService" in s["Action"])
    pass_role = next(s for s in statements if s["Action"] == ["iam:PassRole"])

    assert sorted(r.split(":service/")[1] for r in update["Resource"]) == sorted(
        f"netflux-{env}/{svc}"
        for env in ENVIRONMENTS
        for svc in ("movie-service", "customer-service")
    )
    assert (
        pass_role["Condition"]["StringEquals"]["iam:PassedToService"] == "ecs-tasks.amazonaws.com"
    )


def test_artifact_bucket_is_private_encrypted_and_expires(stacks: dict[str, Stack]) -> None:
    pipeline = stacks["pipeline"]
    block = pipeline.named("aws_s3_bucket_public_access_block", "artifacts")
    lifecycle = pipeline.named("aws_s3_bucket_lifecycle_configuration", "artifacts")

    assert all(
        block[k] for k in ("block_public_acls", "block_public_policy", "restrict_public_buckets")
    )
    assert pipeline.named("aws_s3_bucket_server_side_encryption_configuration", "artifacts")
    assert any(rule.get("expiration") for rule in lifecycle["rule"])
