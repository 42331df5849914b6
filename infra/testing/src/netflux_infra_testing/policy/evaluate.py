"""IAM policy evaluation, offline and pure: documents in, a decision with its reasons out.

What AWS documents, and what this module does
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):

- An explicit Deny in any applicable policy wins; else an Allow wins; else the request is
  implicitly denied.
- Same account: an Allow in the principal's identity policies *or* in the resource's policy is
  enough. A resource policy naming the account (`arn:aws:iam::<account>:root`) only delegates to
  the identity policies and grants nothing by itself
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
  and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
- Another account: both the identity policy and the resource policy must allow.
- KMS: the key policy is required. A principal may use a key only when the key policy allows it,
  either by naming it or by delegating to the account, and then an identity policy must allow too
  (https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html,
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
- A service principal (`cloudwatch.amazonaws.com`) has no identity policies: only resource
  policies can admit it.

Not modelled (and so never claimed): SCPs/RCPs, permissions boundaries, session policies, grants.

Matching: Action/NotAction are case-insensitive globs (`*`, `?`)
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html);
Resource/NotResource and the Arn* operators compare the six colon-separated ARN parts one by one,
case-sensitive, the last part keeping its own colons
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN).
Condition keys are case-insensitive, values per operator. A condition operator or key this
module does not know raises `UnsupportedPolicy`: an unknown key must never pass silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

ContextValue = str | Sequence[str]
Effect = Literal["Allow", "Deny"]
PolicyKind = Literal["identity", "resource", "key"]


class UnsupportedPolicy(ValueError):
    """A policy uses something this evaluator cannot decide: fail, never guess."""


# Condition keys this evaluator knows; each is documented in the global condition keys page
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html) or in
# the service's authorization reference page cited next to it.
KNOWN_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SourceOwner",  # SNS's default topic policy
        "aws:MultiFactorAuthPresent",
        "aws:SecureTransport",
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalType",
        "aws:PrincipalServiceName",
        "aws:ResourceAccount",
        "aws:CalledVia",
        "aws:ViaAWSService",
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
        "ecs:CreateAction",
        "ecs:cluster",
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
        "iam:PassedToService",
        # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
        "kms:ViaService",
        "kms:CallerAccount",
    )
)
KNOWN_KEY_PREFIXES = (
    "aws:principaltag/",
    "aws:resourcetag/",
    "aws:requesttag/",
    "kms:encryptioncontext:",  # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
)

STRING_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "stringequals": lambda actual, wanted: actual == wanted,
    "stringequalsignorecase": lambda actual, wanted: actual.lower() == wanted.lower(),
    "stringlike": lambda actual, wanted: glob(wanted, actual),
    "arnequals": lambda actual, wanted: arn_matches(wanted, actual),
    "arnlike": lambda actual, wanted: arn_matches(wanted, actual),
    "bool": lambda actual, wanted: actual.lower() == str(wanted).lower(),
}
NEGATED = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
}


@dataclass(frozen=True)
class Principal:
    """Who calls: an IAM role, a member of an IAM group (users come from outside), or an AWS
    service principal such as `cloudwatch.amazonaws.com`."""

    kind: Literal["role", "group", "service"]
    name: str
    account: str = ""

    @property
    def arn(self) -> str:
        if self.kind == "role":
            return f"arn:aws:iam::{self.account}:role/{self.name}"
        if self.kind == "group":
            # A member of the group; the evaluator only needs a user ARN in the right account.
            return f"arn:aws:iam::{self.account}:user/member-of-{self.name}"
        return self.name

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    """One policy document and where it comes from (`aws_iam_role_policy.x`)."""

    name: str
    kind: PolicyKind
    document: Mapping[str, Any]

    def statements(self) -> list[Mapping[str, Any]]:
        found = self.document.get("Statement", [])
        return [found] if isinstance(found, Mapping) else list(found)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __str__(self) -> str:
        return f"{'ALLOW' if self.allowed else 'DENY'}: {self.reason}"


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


@lru_cache(maxsize=4096)
def _pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _pattern(pattern, ignore_case).fullmatch(value) is not None


def arn_matches(pattern: str, arn: str) -> bool:
    """ARN globbing part by part (partition, service, region, account, resource)."""
    if pattern == "*":
        return True
    wanted, actual = pattern.split(":", 5), arn.split(":", 5)
    if len(wanted) != 6 or len(actual) != 6:
        return pattern == arn
    return all(glob(w, a) for w, a in zip(wanted, actual, strict=True))


def action_matches(pattern: str, action: str) -> bool:
    return glob(pattern, action, ignore_case=True)


def check_conditions(policy: Policy) -> None:
    """Raise `UnsupportedPolicy` for any operator or key this module cannot evaluate."""
    for statement in policy.statements():
        if "NotPrincipal" in statement:
            raise UnsupportedPolicy(f"{policy.name}: NotPrincipal is not supported")
        for operator, keys in statement.get("Condition", {}).items():
            base = operator.lower().removesuffix("ifexists")
            if base not in STRING_OPERATORS and base not in NEGATED and base != "null":
                raise UnsupportedPolicy(f"{policy.name}: condition operator {operator}")
            for key in keys:
                lowered = key.lower()
                if lowered not in KNOWN_KEYS and not lowered.startswith(KNOWN_KEY_PREFIXES):
                    raise UnsupportedPolicy(f"{policy.name}: unknown condition key {key}")


def _condition_holds(operator: str, key: str, wanted: Any, context: Mapping[str, Any]) -> bool:
    lowered = operator.lower()
    if_exists = lowered.endswith("ifexists")
    base = lowered.removesuffix("ifexists")
    actual = context.get(key.lower())
    if base == "null":
        # "true": the key must be absent; "false": present.
        return (actual is None) == (str(wanted).lower() == "true")
    if actual is None:
        # Absent key: IfExists passes; a negated operator matches; every other one fails.
        return if_exists or base in NEGATED
    values = as_list(actual)
    if base in NEGATED:
        test = STRING_OPERATORS[NEGATED[base]]
        return not any(test(str(v), str(w)) for v in values for w in as_list(wanted))
    test = STRING_OPERATORS[base]
    return any(test(str(v), str(w)) for v in values for w in as_list(wanted))


def conditions_hold(statement: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    return all(
        _condition_holds(operator, key, wanted, context)
        for operator, keys in statement.get("Condition", {}).items()
        for key, wanted in keys.items()
    )


def _matches_any(patterns: Any, value: str, match: Callable[[str, str], bool]) -> bool:
    return any(match(str(p), value) for p in as_list(patterns))


def action_and_resource_match(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        acted = _matches_any(statement["Action"], request.action, action_matches)
    else:
        acted = not _matches_any(statement.get("NotAction", []), request.action, action_matches)
    if "Resource" in statement:
        aimed = _matches_any(statement["Resource"], request.resource, arn_matches)
    elif "NotResource" in statement:
        aimed = not _matches_any(statement["NotResource"], request.resource, arn_matches)
    else:
        aimed = True  # trust policies name no resource: the role itself
    return acted and aimed


PrincipalMatch = Literal["named", "account", "no"]


def principal_match(statement: Mapping[str, Any], principal: Principal) -> PrincipalMatch:
    """Whether a resource policy statement names this principal, or only its account."""
    named = statement.get("Principal")
    if named == "*":
        return "named"
    if not isinstance(named, Mapping):
        return "no"
    if principal.kind == "service":
        services = as_list(named.get("Service", []))
        aws = as_list(named.get("AWS", []))
        return "named" if principal.name in services or "*" in aws else "no"
    for entry in as_list(named.get("AWS", [])):
        entry = str(entry)
        if entry == "*" or entry == principal.arn:
            return "named"
        if entry in (principal.account, f"arn:aws:iam::{principal.account}:root"):
            return "account"
    return "no"


def _resource_account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def request_context(request: Request) -> dict[str, ContextValue]:
    """The request's context with keys lower-cased, plus what AWS always sets: the principal's
    ARN and account, TLS (every SDK call here is HTTPS)."""
    principal = request.principal
    context: dict[str, ContextValue] = {"aws:securetransport": "true"}
    if principal.kind == "service":
        context["aws:principalservicename"] = principal.name
    else:
        context["aws:principalarn"] = principal.arn
        context["aws:principalaccount"] = principal.account
    context.update({key.lower(): value for key, value in request.context.items()})
    return context


@dataclass
class _Found:
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    delegated: list[str] = field(default_factory=list)  # resource policy names the account


def _scan(
    policies: Iterable[Policy], request: Request, context: Mapping[str, Any], *, resource: bool
) -> _Found:
    found = _Found()
    for policy in policies:
        for index, statement in enumerate(policy.statements()):
            label = f"{policy.name} statement {statement.get('Sid', index)}"
            match: PrincipalMatch = "named"
            if resource:
                match = principal_match(statement, request.principal)
            if match == "no" or not action_and_resource_match(statement, request):
                continue
            if not conditions_hold(statement, context):
                continue
            if statement["Effect"] == "Deny":
                found.deny.append(label)
            elif match == "account":
                found.delegated.append(label)
            else:
                found.allow.append(label)
    return found


def evaluate(
    request: Request,
    identity: Sequence[Policy],
    resource: Sequence[Policy],
) -> Decision:
    """Decide one request. `identity`: the principal's identity policies (empty for a service
    principal); `resource`: the resource's policies (a KMS key's key policy has kind "key")."""
    for policy in (*identity, *resource):
        check_conditions(policy)
    context = request_context(request)
    if request.principal.kind == "service":
        identity = ()
    mine = _scan(identity, request, context, resource=False)
    theirs = _scan(resource, request, context, resource=True)
    if mine.deny or theirs.deny:
        return Decision(False, "explicit deny in " + "; ".join(mine.deny + theirs.deny))
    names = ", ".join(p.name for p in (*identity, *resource)) or "no policy at all"
    # A KMS key's policy is required even when the stacks hold none for it (then: denied).
    is_key = any(p.kind == "key" for p in resource) or (
        request.action.lower().startswith("kms:") and ":key/" in request.resource
    )
    same_account = request.principal.kind == "service" or (
        _resource_account(request.resource) in ("", request.principal.account)
    )
    if is_key:
        if theirs.allow:
            return Decision(True, "key policy allows: " + "; ".join(theirs.allow))
        if theirs.delegated and mine.allow:
            return Decision(
                True,
                "key policy delegates to IAM ("
                + "; ".join(theirs.delegated)
                + ") and "
                + "; ".join(mine.allow)
                + " allows",
            )
        return Decision(False, f"the key policy does not allow it (implicit deny; read {names})")
    if same_account and (mine.allow or theirs.allow):
        return Decision(True, "allowed by " + "; ".join(mine.allow + theirs.allow))
    if not same_account and mine.allow and theirs.allow:
        return Decision(True, "both accounts allow: " + "; ".join(mine.allow + theirs.allow))
    return Decision(False, f"implicit deny: no statement allows it in {names}")
