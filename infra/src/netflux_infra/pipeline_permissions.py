"""Every API call the delivery pipeline's two roles make, per pipeline action, from the AWS docs.

One table, `GRANTS`: each row is one pipeline action (or CodeBuild duty), the role that acts for
it, the IAM actions it calls, which resources they may touch and the AWS page that lists them.
`pipeline.py` turns the rows of a role into its policy, one statement a row, and
`infra/tests/test_pipeline.py` checks the synthesized policies against this table, so a permission
exists here or nowhere.

Resources are named by a key (`Scope`) that `pipeline.py` fills with ARNs at synthesis.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from netflux_infra.iam import statement

Role = Literal["pipeline", "build"]

CODEPIPELINE_ROLE_DOC = (
    "https://docs.aws.amazon.com/codepipeline/latest/userguide/security-iam.html#how-to-custom-role"
)
ECS_ACTION_DOC = (
    "https://docs.aws.amazon.com/codepipeline/latest/userguide/"
    "action-reference-ECS.html#action-reference-ECS-permissions-action"
)
ECS_TAG_ON_CREATE_DOC = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html"
)
CONNECTION_ACTION_DOC = (
    "https://docs.aws.amazon.com/codepipeline/latest/userguide/"
    "action-reference-CodestarConnectionSource.html#action-reference-CodestarConnectionSource-permissions-action"
)
CODEBUILD_ACTION_DOC = (
    "https://docs.aws.amazon.com/codepipeline/latest/userguide/"
    "action-reference-CodeBuild.html#action-reference-CodeBuild-permissions-action"
)
CODEBUILD_ROLE_DOC = (
    "https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html"
)
CODEBUILD_REPORTS_DOC = (
    "https://docs.aws.amazon.com/codebuild/latest/userguide/report-group-permissions.html"
)
ECR_PUSH_DOC = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html"


class Scope(StrEnum):
    """What a grant may touch; `pipeline.py` maps each to ARNs."""

    ANY = "any"  # "*": the action has no resource-level permission
    ARTIFACT_BUCKET = "artifact-bucket"
    ARTIFACT_OBJECTS = "artifact-objects"
    CONNECTION = "connection"
    BUILD_PROJECT = "build-project"
    BUILD_LOGS = "build-logs"  # the log group's streams
    REPORT_GROUP = "report-group"
    REPOSITORIES = "repositories"  # every environment's service repositories
    SERVICES = "services"  # every environment's ECS services
    TASK_DEFINITIONS = "task-definitions"  # every revision of the services' task families
    TASKS = "tasks"  # tasks in the environments' clusters
    TASK_ROLES = "task-roles"  # the services' task and execution roles


@dataclass(frozen=True)
class Grant:
    role: Role
    action: str  # the pipeline action or CodeBuild duty making the calls
    sid: str
    api_calls: tuple[str, ...]
    scope: Scope
    doc: str
    condition: Mapping[str, Any] = field(default_factory=dict)


GRANTS: tuple[Grant, ...] = (
    # --- CodePipeline's service role ----------------------------------------------------------
    Grant(
        "pipeline", "artifact store", "ArtifactObjects",
        ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"),
        Scope.ARTIFACT_OBJECTS, CODEPIPELINE_ROLE_DOC,
    ),
    Grant(
        "pipeline", "artifact store", "ArtifactBucket",
        ("s3:GetBucketVersioning", "s3:GetBucketAcl", "s3:GetBucketLocation"),
        Scope.ARTIFACT_BUCKET, CODEPIPELINE_ROLE_DOC,
    ),
    Grant(
        "pipeline", "Source (CodeStarSourceConnection)", "UseConnection",
        ("codestar-connections:UseConnection",), Scope.CONNECTION, CONNECTION_ACTION_DOC,
    ),
    Grant(
        "pipeline", "Build (CodeBuild)", "RunBuild",
        ("codebuild:StartBuild", "codebuild:BatchGetBuilds"), Scope.BUILD_PROJECT,
        CODEBUILD_ACTION_DOC,
    ),
    # The ECS standard deploy action registers a copy of the running revision with the new image
    # (tags included), rolls the service and watches its tasks.
    Grant(
        "pipeline", "Deploy (ECS)", "TaskDefinitions",
        # No resource-level permission for these two (the action's doc grants them on "*").
        ("ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition"), Scope.ANY, ECS_ACTION_DOC,
    ),
    Grant(
        "pipeline", "Deploy (ECS)", "TagRegisteredTaskDefinitions",
        # Registering a tagged revision is also authorized as ecs:TagResource; the condition
        # admits tagging only as part of that registration, never of an existing resource.
        ("ecs:TagResource",), Scope.TASK_DEFINITIONS, ECS_TAG_ON_CREATE_DOC,
        {"StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}},
    ),
    Grant(
        "pipeline", "Deploy (ECS)", "Services",
        ("ecs:DescribeServices", "ecs:UpdateService"), Scope.SERVICES, ECS_ACTION_DOC,
    ),
    Grant(
        "pipeline", "Deploy (ECS)", "WatchTasks",
        ("ecs:DescribeTasks",), Scope.TASKS, ECS_ACTION_DOC,
    ),
    Grant(
        "pipeline", "Deploy (ECS)", "ListTasks",
        ("ecs:ListTasks",), Scope.ANY, ECS_ACTION_DOC,
    ),
    Grant(
        "pipeline", "Deploy (ECS)", "PassTaskRoles",
        # The new revision names the same task and execution roles; ECS tasks only may get them.
        ("iam:PassRole",), Scope.TASK_ROLES, ECS_ACTION_DOC,
        {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
    ),
    # --- CodeBuild's service role -------------------------------------------------------------
    Grant(
        "build", "logs", "BuildLogs",
        ("logs:CreateLogStream", "logs:PutLogEvents"), Scope.BUILD_LOGS, CODEBUILD_ROLE_DOC,
    ),
    Grant(
        "build", "artifact store", "ArtifactObjects",
        ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"),
        Scope.ARTIFACT_OBJECTS, CODEBUILD_ROLE_DOC,
    ),
    Grant(
        "build", "artifact store", "ArtifactBucket",
        ("s3:GetBucketAcl", "s3:GetBucketLocation"), Scope.ARTIFACT_BUCKET, CODEBUILD_ROLE_DOC,
    ),
    Grant(
        "build", "test reports", "TestReports",
        ("codebuild:CreateReport", "codebuild:UpdateReport", "codebuild:BatchPutTestCases"),
        Scope.REPORT_GROUP, CODEBUILD_REPORTS_DOC,
    ),
    Grant(
        "build", "make release (docker login)", "RegistryLogin",
        ("ecr:GetAuthorizationToken",), Scope.ANY, ECR_PUSH_DOC,  # no resource-level permission
    ),
    Grant(
        "build", "make release (docker push)", "PushImages",
        (
            "ecr:BatchCheckLayerAvailability",
            "ecr:CompleteLayerUpload",
            "ecr:InitiateLayerUpload",
            "ecr:PutImage",
            "ecr:UploadLayerPart",
        ),
        Scope.REPOSITORIES, ECR_PUSH_DOC,
    ),
)  # fmt: skip


def grants(role: Role) -> list[Grant]:
    return [g for g in GRANTS if g.role == role]


def statements(role: Role, resources: Mapping[Scope, Sequence[str]]) -> list[dict[str, Any]]:
    """The role's policy statements, one a grant, in table order."""
    found = []
    for grant in grants(role):
        arns = ["*"] if grant.scope is Scope.ANY else list(resources[grant.scope])
        extra: dict[str, Any] = {"Sid": grant.sid}
        if grant.condition:
            extra["Condition"] = dict(grant.condition)
        found.append(statement(grant.api_calls, arns, **extra))
    return found


def role_policy(role: Role, resources: Mapping[Scope, Sequence[str]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements(role, resources)})
