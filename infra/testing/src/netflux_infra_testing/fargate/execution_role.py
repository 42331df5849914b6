"""The task execution role must allow what the ECS agent does for a task before it starts.

The emulator does not act as the execution role when the rehearsal resolves secrets or maps
images, so this check does: the role's policies, read back from the emulator's IAM (inline and
attached, managed policies included), are evaluated with moto's own policy evaluator for each
call the agent makes (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html):
- ecr:GetAuthorizationToken on * and ecr:BatchGetImage, ecr:GetDownloadUrlForLayer on the
  image's repository, for every ECR image (private or pull-through cache);
- secretsmanager:GetSecretValue on each secret in `secrets`
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html);
- logs:CreateLogStream and logs:PutLogEvents on the awslogs group.
What it does not cover: conditions, permission boundaries, SCPs, KMS key policies of secrets
encrypted with a customer key, and the pull-through cache's own ecr:CreateRepository/
ecr:BatchImportUpstreamImage on first pull.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from netflux_infra_testing.fargate.aws import Emulator
from netflux_infra_testing.fargate.errors import TaskFailedToStart
from netflux_infra_testing.fargate.images import ECR_URI
from netflux_infra_testing.fargate.secrets import split_value_from


def needed_calls(definition: dict[str, Any], region: str, account: str) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []
    for container in definition["containerDefinitions"]:
        match = ECR_URI.match(container["image"])
        if match:
            repository = f"arn:aws:ecr:{region}:{account}:repository/{match['path']}"
            calls += [
                ("ecr:GetAuthorizationToken", "*"),
                ("ecr:BatchGetImage", repository),
                ("ecr:GetDownloadUrlForLayer", repository),
            ]
        for entry in container.get("secrets", []):
            calls.append(("secretsmanager:GetSecretValue", split_value_from(entry["valueFrom"])[0]))
        logging = container.get("logConfiguration") or {}
        if logging.get("logDriver") == "awslogs":
            group = logging["options"]["awslogs-group"]
            stream = f"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:x"
            calls += [("logs:CreateLogStream", stream), ("logs:PutLogEvents", stream)]
    return list(dict.fromkeys(calls))


def policies(aws: Emulator, role_name: str) -> list[str]:
    iam = aws.client("iam")
    documents = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        documents.append(document if isinstance(document, str) else json.dumps(document))
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(
            PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
        )["PolicyVersion"]["Document"]
        documents.append(version if isinstance(version, str) else json.dumps(version))
    return [unquote(d) if d.startswith("%7B") else d for d in documents]


def check_execution_role(aws: Emulator, definition: dict[str, Any]) -> int:
    """Raises like ECS stops a task whose execution role lacks a permission; returns how many
    calls were checked."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    role_arn = definition.get("executionRoleArn")
    task = f"{definition['family']}:{definition['revision']}"
    calls = needed_calls(definition, aws.region, (role_arn or "::::000000000000").split(":")[4])
    if not calls:
        return 0
    if not role_arn:
        raise TaskFailedToStart(
            f"task {task}: no execution role, but the agent must call {calls[0]}"
        )
    role_name = role_arn.rsplit("/", 1)[-1]
    evaluated = [IAMPolicy(d) for d in policies(aws, role_name)]
    for action, resource in calls:
        results = [p.is_action_permitted(action, resource) for p in evaluated]
        if PermissionResult.DENIED in results or PermissionResult.PERMITTED not in results:
            raise TaskFailedToStart(
                f"task {task} stopped: ResourceInitializationError: the execution role "
                f"{role_name} is not authorized to perform {action} on {resource}"
            )
    return len(calls)
