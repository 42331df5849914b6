"""The team access stack: groups, their policies, membership as an input, Identity Center."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from netflux_infra.config import ENVIRONMENTS, PIPELINE, AccessConfig, IdentityCenter
from netflux_infra.naming import TEAMS, AccessNames
from netflux_infra_testing.synthesized import Stack

NAMES = AccessNames()


def documents(stack: Stack, kind: str, attribute: str) -> list[dict[str, Any]]:
    return [json.loads(r[attribute]) for r in stack.resources(kind).values()]


def synth_access(config: AccessConfig) -> Stack:
    """Only the access stack, in an app of its own (the bindings are loaded by then)."""
    from cdktf import App

    from netflux_infra.access import AccessStack

    outdir = Path(tempfile.mkdtemp(prefix="netflux-access-"))
    app = App(outdir=str(outdir))
    AccessStack(app, NAMES.stack, config, list(ENVIRONMENTS.values()), PIPELINE)
    app.synth()
    return Stack(NAMES.stack, outdir / "stacks" / NAMES.stack)


def test_one_group_and_one_policy_per_team(stacks: dict[str, Stack]) -> None:
    access = stacks["access"]
    groups = {g["name"] for g in access.resources("aws_iam_group").values()}
    attachments = access.resources("aws_iam_group_policy_attachment").values()

    assert groups == {NAMES.group(team) for team in TEAMS}
    assert {a["group"].split(".")[1].removeprefix("group-") for a in attachments} == set(TEAMS)
    assert "aws_iam_group_membership" not in access.json["resource"]  # no members by default
    assert "aws_iam_user" not in access.json["resource"]  # users come from the identity provider


def test_no_policy_grants_every_action(stacks: dict[str, Stack]) -> None:
    for document in documents(stacks["access"], "aws_iam_policy", "policy"):
        for statement in document["Statement"]:
            actions = statement.get("Action", [])
            assert "NotAction" not in statement
            assert not [a for a in actions if a == "*" or a.endswith(":*")], statement


def test_prod_changes_need_mfa_in_every_team_that_may_change(stacks: dict[str, Stack]) -> None:
    policies = {
        r["name"]: json.loads(r["policy"])
        for r in stacks["access"].resources("aws_iam_policy").values()
    }
    for team in ("developers", "devops"):
        [deny] = [
            s
            for s in policies[NAMES.group(team)]["Statement"]
            if s["Sid"] == "NoProdChangeWithoutMfa"
        ]
        assert deny["Effect"] == "Deny"
        assert deny["Condition"] == {
            "StringEquals": {"aws:ResourceTag/Environment": ["prod"]},
            "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"},
        }
    auditors = policies[NAMES.auditors]["Statement"]
    assert {s["Effect"] for s in auditors} == {"Allow"}
    writes = ("Update", "Put", "Create", "Delete", "Execute", "Start", "Register", "Tag")
    assert not [
        a for s in auditors for a in s["Action"] if a.split(":")[1].startswith(writes)
        and a not in ("logs:StartQuery",)
    ]  # fmt: skip


def test_environment_scoping_uses_the_tag_the_stacks_set(stacks: dict[str, Stack]) -> None:
    for env in ENVIRONMENTS:
        [provider] = stacks[env].json["provider"]["aws"]
        assert provider["default_tags"][0]["tags"]["Environment"] == env


def test_membership_is_an_input() -> None:
    stack = synth_access(AccessConfig(members={"devops": ("alice", "bob")}))

    [membership] = stack.resources("aws_iam_group_membership").values()

    assert membership["users"] == ["alice", "bob"]
    assert membership["group"] == stack.ref("aws_iam_group", "group-devops", "name")


def test_identity_center_takes_the_groups_place() -> None:
    center = IdentityCenter(
        instance_arn="arn:aws:sso:::instance/ssoins-1234567890abcdef",
        account_id="111122223333",
        group_ids={"auditors": "g-auditors"},
    )
    stack = synth_access(AccessConfig(identity_center=center))

    sets = {p["name"] for p in stack.resources("aws_ssoadmin_permission_set").values()}
    [assignment] = stack.resources("aws_ssoadmin_account_assignment").values()

    assert sets == {NAMES.group(team) for team in TEAMS}
    assert "aws_iam_group" not in stack.json["resource"]
    assert assignment["principal_id"] == "g-auditors"
    inline = documents(stack, "aws_ssoadmin_permission_set_inline_policy", "inline_policy")
    assert len(inline) == 3


def test_unknown_team_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown teams"):
        AccessConfig(members={"admins": ("root",)})
