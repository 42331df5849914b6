"""IAM enforced on the emulator for the run and the release; the pipeline acts as its own role.

moto authorizes every request against its IAM once INITIAL_NO_AUTH_ACTION_COUNT requests have
been served; its `/moto-api/reset-auth` sets that count at run time. The rehearsal switches
enforcement on after Terraform's apply, creates an administrator in the few unauthenticated
calls left, and switches it off again before the destroy.

The pipeline role lives in the pipeline stack, which the rehearsal does not apply (CodePipeline
and CodeBuild are not emulated well enough). Its role and policy are taken from that stack as
synthesized, created in the emulator's IAM and assumed with sts:AssumeRole, so the ECS deploy
action's calls are authorized against exactly that policy. moto checks the API action only:
what AWS checks besides (ecs:TagResource for a tagged RegisterTaskDefinition:
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html
and iam:PassRole for the roles a task definition names,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html) is evaluated
here, offline, with moto's policy evaluator. The synthesized trust policy is only checked to
name CodePipeline's principal.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx

from netflux_infra_testing.fargate.aws import Credentials, Emulator
from netflux_infra_testing.fargate.errors import RunFailed
from netflux_infra_testing.fargate.execution_role import policies

ADMIN_SETUP_CALLS = 3  # CreateUser, PutUserPolicy, CreateAccessKey
UNRESOLVED = "arn:aws:unresolved:::reference-to-an-unapplied-stack"


def set_enforcement(endpoint: str, unauthenticated_calls: float) -> None:
    answer = httpx.post(
        f"{endpoint}/moto-api/reset-auth", content=str(unauthenticated_calls), timeout=10
    )
    answer.raise_for_status()


def enforce(aws: Emulator) -> Emulator:
    """Switch enforcement on; returns the emulator as an administrator (Action *)."""
    set_enforcement(aws.endpoint, ADMIN_SETUP_CALLS)
    iam = aws.client("iam")
    user = f"rehearsal-admin-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="everything",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return aws.as_(Credentials(key["AccessKeyId"], key["SecretAccessKey"]))


def relax(aws: Emulator) -> None:
    set_enforcement(aws.endpoint, float("inf"))


def synthesized_role(stack_json: Path, role_name: str) -> tuple[str, list[str]]:
    """(trust policy, inline policies) of the named role in a synthesized stack; references to
    that stack's own resources become an ARN that matches nothing."""
    stack = json.loads(stack_json.read_text())
    roles = stack["resource"].get("aws_iam_role", {})
    [(key, role)] = [(k, r) for k, r in roles.items() if r.get("name") == role_name]
    policies = [
        re.sub(r"\$\{[^}]+\}", UNRESOLVED, p["policy"])
        for p in stack["resource"].get("aws_iam_role_policy", {}).values()
        if p["role"] in {f"${{aws_iam_role.{key}.id}}", f"${{aws_iam_role.{key}.name}}"}
    ]
    return role["assume_role_policy"], policies


def assume_synthesized_role(admin: Emulator, stack_json: Path, role_name: str) -> Emulator:
    synthesized_trust, policies = synthesized_role(stack_json, role_name)
    iam = admin.client("iam")
    # In AWS only CodePipeline's service principal may assume the role (the synthesized trust
    # policy, checked by the stack's tests); here the rehearsal's administrator stands in for
    # CodePipeline, so it is the principal the emulator's copy trusts.
    caller = admin.client("sts").get_caller_identity()["Arn"]
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    if "codepipeline.amazonaws.com" not in synthesized_trust:
        raise RunFailed(f"{role_name}: its trust policy does not let CodePipeline assume it")
    try:
        arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:  # a second run on the same emulator
        arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
        iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=trust)
    for number, document in enumerate(policies):
        iam.put_role_policy(
            RoleName=role_name, PolicyName=f"policy-{number}", PolicyDocument=document
        )
    session = admin.client("sts").assume_role(RoleArn=arn, RoleSessionName="rehearsal-deploy")
    credentials = session["Credentials"]
    return admin.as_(
        Credentials(
            credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
        )
    )


def check_implied(
    admin: Emulator, role_name: str, calls: list[tuple[str, str, dict[str, Any]]]
) -> None:
    """The permissions AWS checks besides the API action itself, for the calls about to be
    made: (action, resource, condition values)."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    documents = policies(admin, role_name)
    for action, resource, conditions in calls:
        results = [
            IAMPolicy(d).is_action_permitted(action, resource, None, conditions) for d in documents
        ]
        if PermissionResult.DENIED in results or PermissionResult.PERMITTED not in results:
            raise RunFailed(
                f"AccessDeniedException: {role_name} is not authorized to perform {action} on "
                f"{resource} (checked offline: the emulator checks the API action only)"
            )
