"""Small helpers for IAM policy documents (plain JSON: no data source, nothing to look up)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

ECR_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


def statement(actions: Sequence[str], resources: Sequence[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(actions), "Resource": list(resources), **extra}


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def account_key_policy(account_id: str, *service_statements: dict[str, Any]) -> str:
    """A KMS key policy: the account administers the key through IAM, as the default key policy
    does (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html), and
    the given services may use it as their statements say."""
    return policy(
        {
            "Sid": "AccountAdministersThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        *service_statements,
    )


def assume_role(service: str) -> str:
    return policy(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    )


def task_execution_role(
    scope: Construct,
    suffix: str,
    *,
    name: str,
    repositories: Sequence[str],
    log_group_arn: str,
    secrets: Sequence[str],
    extra_statements: Sequence[dict[str, Any]] = (),
) -> IamRole:
    """What ECS needs to start a task, and nothing more: pull its image from these repositories,
    write to its log group, read these secrets, and `extra_statements`."""
    role = IamRole(
        scope,
        f"execution-role{suffix}",
        name=name,
        assume_role_policy=assume_role("ecs-tasks.amazonaws.com"),
    )
    IamRolePolicy(
        scope,
        f"execution-policy{suffix}",
        role=role.id,
        policy=policy(
            statement(["ecr:GetAuthorizationToken"], ["*"]),  # no resource-level permission
            statement(ECR_PULL, repositories),
            statement(["logs:CreateLogStream", "logs:PutLogEvents"], [f"{log_group_arn}:*"]),
            statement(["secretsmanager:GetSecretValue"], secrets),
            *extra_statements,
        ),
    )
    return role
