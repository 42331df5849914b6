"""The synthesized policies grant what each role, service and team needs, and no more
(netflux_infra_testing.policy; the rows and their AWS sources are in policy/tables.py)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from netflux_infra.config import ENVIRONMENTS, PIPELINE, EnvironmentConfig
from netflux_infra_testing.policy import tables
from netflux_infra_testing.policy.documents import Documents
from netflux_infra_testing.policy.evaluate import (
    Policy,
    Principal,
    Request,
    UnsupportedPolicy,
    evaluate,
)
from netflux_infra_testing.policy.references import UnresolvedReference
from netflux_infra_testing.policy.report import table
from netflux_infra_testing.policy.tables import Expectation, expectations
from netflux_infra_testing.synthesized import Stack

ROOT = Path(__file__).resolve().parents[2]
ENVS = list(ENVIRONMENTS)


@pytest.fixture(scope="module")
def documents(stacks: dict[str, Stack]) -> Documents:
    return Documents.load({stack.name: stack.json for stack in stacks.values()})


def rows(documents: Documents, env: str) -> list[Expectation]:
    return expectations(documents, ENVIRONMENTS[env], PIPELINE, with_access=True)


SECTIONS: dict[str, Callable[[Documents, EnvironmentConfig], list[Expectation]]] = {
    "task roles": lambda d, env: tables.task_roles(d, env),
    "edge and alarms": lambda d, env: tables.edge_and_alarms(d, env),
    "deploy": lambda d, env: tables.deploy(d, env, PIPELINE),
    "delivery": lambda d, env: tables.delivery(d, PIPELINE),
    "team access": lambda d, env: tables.access(d, env, PIPELINE),
}


@pytest.mark.parametrize("section", SECTIONS)
@pytest.mark.parametrize("env", ENVS)
def test_expectations_hold(documents: Documents, env: str, section: str) -> None:
    """Every row of one table section; the failure lists each failing row with the role,
    action, resource, the policies read and the AWS page the row comes from."""
    table = SECTIONS[section](documents, ENVIRONMENTS[env])
    failures = [f for row in table if (f := row.failure(documents))]

    assert not failures, f"{len(failures)} of {len(table)} rows:\n" + "\n".join(failures)
    assert table


@pytest.mark.parametrize("env", ENVS)
def test_sections_cover_every_row_and_both_verdicts(documents: Documents, env: str) -> None:
    every = rows(documents, env)
    covered = [
        row for section in SECTIONS.values() for row in section(documents, ENVIRONMENTS[env])
    ]

    assert covered == every
    assert {row.allowed for row in every} == {True, False}  # both directions are checked


@pytest.mark.parametrize("env", ENVS)
def test_docs_show_the_evaluated_access_table(documents: Documents, env: str) -> None:
    """docs/access.md's tables are the CLI's (`--rows access --markdown`); regenerate on drift."""
    text, wrong = table(documents, tables.access(documents, ENVIRONMENTS[env], PIPELINE), True)

    assert wrong == 0
    assert f"### {env}\n\n{text}\n" in (ROOT / "docs" / "access.md").read_text()


def test_removing_the_secret_statement_denies_the_execution_role(documents: Documents) -> None:
    names = ENVIRONMENTS["staging"].names
    [row] = [
        r
        for r in rows(documents, "staging")
        if r.who == ("role", names.execution_role("movie-service"))
        and r.action == "secretsmanager:GetSecretValue"
        and r.allowed
        and names.database_secret("movie-service") in r.resource
    ]
    [policy] = documents.identity[row.who]
    assert row.failure(documents) is None

    mutated = documents.without_statement(
        policy.name, lambda s: "secretsmanager:GetSecretValue" in s["Action"]
    )
    failure = row.failure(mutated)

    assert failure is not None
    assert names.execution_role("movie-service") in failure
    assert "secretsmanager:GetSecretValue" in failure
    assert row.resource in failure
    assert policy.name in failure  # which policy was read and did not allow it


def test_removing_the_oac_statement_denies_cloudfront(documents: Documents) -> None:
    [row] = [
        r
        for r in rows(documents, "prod")
        if r.who == ("service", "cloudfront.amazonaws.com") and r.allowed
    ]
    [bucket_policy] = documents.resource_policies(row.resource)

    mutated = documents.without_statement(
        bucket_policy.name, lambda s: s.get("Sid") == "CloudFrontReadsThroughOAC"
    )

    assert row.failure(documents) is None
    assert "implicit deny" in str(row.failure(mutated))


def test_removing_the_mfa_deny_lets_devops_change_prod_without_mfa(
    documents: Documents,
) -> None:
    prod = [
        r
        for r in rows(documents, "prod")
        if r.who[1].endswith("devops") and r.action == "ecs:UpdateService" and not r.context
    ]
    [row] = prod
    [policy] = documents.identity[row.who]

    mutated = documents.without_statement(
        policy.name, lambda s: s.get("Sid") == "NoProdChangeWithoutMfa"
    )

    assert "explicit deny" in str(row.decide(documents))
    assert row.failure(mutated) is not None


# --- the evaluator on small documents --------------------------------------------------------

ROLE = Principal("role", "app", "111122223333")
BUCKET = "arn:aws:s3:::b"


def identity(*statements: dict[str, Any]) -> list[Policy]:
    return [Policy("identity", "identity", {"Statement": list(statements)})]


def resource(*statements: dict[str, Any], kind: str = "resource") -> list[Policy]:
    return [Policy(kind, kind, {"Statement": list(statements)})]  # type: ignore[arg-type]


def allow(action: Any, res: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": res, **extra}


def test_explicit_deny_beats_allow() -> None:
    request = Request(ROLE, "s3:GetObject", f"{BUCKET}/k")
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"{BUCKET}/*"}

    assert evaluate(request, identity(allow("s3:GetObject")), []).allowed
    assert not evaluate(request, identity(allow("s3:GetObject")), resource(deny)).allowed


def test_actions_are_case_insensitive_globs_and_resources_are_not() -> None:
    policies = identity(allow("S3:get*", f"{BUCKET}/a?c"))

    assert evaluate(Request(ROLE, "s3:GetObject", f"{BUCKET}/abc"), policies, []).allowed
    assert not evaluate(Request(ROLE, "s3:GetObject", f"{BUCKET}/ABC"), policies, []).allowed
    assert not evaluate(Request(ROLE, "s3:PutObject", f"{BUCKET}/abc"), policies, []).allowed


def test_not_action_and_not_resource() -> None:
    policies = identity(
        {"Effect": "Allow", "NotAction": "iam:*", "NotResource": f"{BUCKET}/secret"}
    )

    assert evaluate(Request(ROLE, "s3:GetObject", f"{BUCKET}/k"), policies, []).allowed
    assert not evaluate(Request(ROLE, "iam:PassRole", f"{BUCKET}/k"), policies, []).allowed
    assert not evaluate(Request(ROLE, "s3:GetObject", f"{BUCKET}/secret"), policies, []).allowed


def test_arn_wildcards_stay_inside_their_part() -> None:
    policies = identity(allow("ecs:UpdateService", "arn:aws:ecs:*:*:service/c/*"))
    ok = "arn:aws:ecs:us-east-1:111122223333:service/c/movie"

    assert evaluate(Request(ROLE, "ecs:UpdateService", ok), policies, []).allowed
    assert not evaluate(
        Request(ROLE, "ecs:UpdateService", "arn:aws:ec2:us-east-1:1:service/c/movie"), policies, []
    ).allowed


def test_same_account_resource_policy_alone_suffices_but_not_across_accounts() -> None:
    grant = {"Effect": "Allow", "Principal": {"AWS": ROLE.arn}, "Action": "s3:GetObject",
             "Resource": f"{BUCKET}/*"}  # fmt: skip
    same = "arn:aws:secretsmanager:us-east-1:111122223333:secret:s"
    other = "arn:aws:secretsmanager:us-east-1:444455556666:secret:s"
    to_secret = {**grant, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}

    assert evaluate(Request(ROLE, "s3:GetObject", f"{BUCKET}/k"), [], resource(grant)).allowed
    assert evaluate(
        Request(ROLE, "secretsmanager:GetSecretValue", same), [], resource(to_secret)
    ).allowed
    assert not evaluate(
        Request(ROLE, "secretsmanager:GetSecretValue", other), [], resource(to_secret)
    ).allowed
    mine = identity(allow("secretsmanager:GetSecretValue"))
    assert evaluate(
        Request(ROLE, "secretsmanager:GetSecretValue", other), mine, resource(to_secret)
    ).allowed


def test_account_principal_only_delegates() -> None:
    grant = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
             "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}  # fmt: skip
    request = Request(ROLE, "s3:GetObject", f"{BUCKET}/k")

    assert not evaluate(request, [], resource(grant)).allowed


def test_kms_needs_the_key_policy() -> None:
    key = "arn:aws:kms:us-east-1:111122223333:key/k"
    request = Request(ROLE, "kms:Decrypt", key)
    delegate = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "kms:*", "Resource": "*"}  # fmt: skip
    unrelated = {**delegate, "Principal": {"Service": "sns.amazonaws.com"}}

    assert not evaluate(request, identity(allow("kms:Decrypt")), []).allowed
    assert not evaluate(
        request, identity(allow("kms:Decrypt")), resource(unrelated, kind="key")
    ).allowed
    assert not evaluate(request, [], resource(delegate, kind="key")).allowed
    assert evaluate(request, identity(allow("kms:Decrypt")), resource(delegate, kind="key")).allowed


def test_service_principals_have_no_identity_policies() -> None:
    service = Principal("service", "cloudwatch.amazonaws.com")
    request = Request(service, "sns:Publish", "arn:aws:sns:us-east-1:111122223333:t")
    admit = {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": "sns:Publish", "Resource": "*"}  # fmt: skip

    assert not evaluate(request, identity(allow("sns:Publish")), []).allowed
    assert evaluate(request, [], resource(admit)).allowed


@pytest.mark.parametrize(
    ("condition", "context", "allowed"),
    [
        ({"StringEquals": {"aws:SourceAccount": "1"}}, {"aws:SourceAccount": "1"}, True),
        ({"StringEquals": {"aws:SourceAccount": "1"}}, {}, False),
        ({"StringNotEquals": {"aws:SourceAccount": "1"}}, {}, True),
        ({"StringLike": {"aws:PrincipalTag/team": "dev*"}},
         {"aws:principaltag/team": "devops"}, True),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:*:1:alarm:*"}},
         {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:1:alarm:a"}, True),
        ({"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::x"}},
         {"aws:SourceArn": "arn:aws:s3:::y"}, False),
        ({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {}, False),
        ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {}, True),
        ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
         {"aws:MultiFactorAuthPresent": "true"}, False),
        ({"StringEqualsIfExists": {"kms:ViaService": "sns.us-east-1.amazonaws.com"}}, {}, True),
        ({"Null": {"aws:SourceArn": "true"}}, {}, True),
        ({"Null": {"aws:SourceArn": "false"}}, {}, False),
        ({"StringEquals": {"ecs:CreateAction": ["RegisterTaskDefinition", "CreateService"]}},
         {"ecs:CreateAction": "CreateService"}, True),
    ],
)  # fmt: skip
def test_condition_operators(
    condition: dict[str, Any], context: dict[str, str], allowed: bool
) -> None:
    request = Request(ROLE, "s3:GetObject", f"{BUCKET}/k", context)

    decision = evaluate(request, identity(allow("s3:GetObject", Condition=condition)), [])

    assert decision.allowed is allowed


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:NoSuchKey": "x"}},
        {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
        {"StringEquals": {"s3:prefix": "x"}},
    ],
)
def test_unknown_operators_and_keys_fail_loudly(condition: dict[str, Any]) -> None:
    # A Deny the evaluator would otherwise skip: silently passing it would wrongly allow.
    policies = identity(
        allow("s3:GetObject"),
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": condition},
    )

    with pytest.raises(UnsupportedPolicy):
        evaluate(Request(ROLE, "s3:GetObject", f"{BUCKET}/k"), policies, [])


def test_unknown_condition_keys_fail_when_loading(stacks: dict[str, Stack]) -> None:
    staging = copy.deepcopy(stacks["staging"].json)
    [policy] = [p for k, p in staging["resource"]["aws_s3_bucket_policy"].items() if "site" in k]
    policy["policy"] = policy["policy"].replace("AWS:SourceArn", "AWS:SourceArm")

    with pytest.raises(UnsupportedPolicy, match="SourceArm"):
        Documents.load({"staging": staging})


def test_unresolvable_references_fail_when_loading(stacks: dict[str, Stack]) -> None:
    staging = copy.deepcopy(stacks["staging"].json)
    [policy] = [p for k, p in staging["resource"]["aws_s3_bucket_policy"].items() if "site" in k]
    policy["policy"] = policy["policy"].replace(".arn}", ".no_such_attribute}", 1)

    with pytest.raises(UnresolvedReference):
        Documents.load({"staging": staging})
