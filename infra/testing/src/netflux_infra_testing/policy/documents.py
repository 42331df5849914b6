"""Every policy in a set of synthesized stacks, with references resolved (see references.py).

Identity policies: `aws_iam_role_policy`, `aws_iam_role_policy_attachment`,
`aws_iam_group_policy`, `aws_iam_group_policy_attachment` (customer managed `aws_iam_policy` by
reference, AWS managed by ARN from managed.py). Resource policies: S3 bucket policies, SNS topic
policies (the default policy when a topic has none), KMS key policies (the AWS managed
`alias/aws/sns` key's from managed.py), Secrets Manager and ECR repository policies, and each
role's trust policy for `sts:AssumeRole`. Resource tags (the provider's `default_tags` plus the
resource's own) feed `aws:ResourceTag/...` unless a request sets them itself.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from netflux_infra_testing.policy.evaluate import (
    Decision,
    Policy,
    Principal,
    Request,
    arn_matches,
    check_conditions,
    evaluate,
)
from netflux_infra_testing.policy.managed import (
    aws_managed_sns_key_policy,
    default_topic_policy,
    managed_policy,
)
from netflux_infra_testing.policy.references import (
    ACCOUNT,
    ARNS,
    Resolver,
    db_master_secret,
    key_id,
    kms_key,
)


@dataclass(frozen=True)
class ResourcePolicy:
    targets: tuple[str, ...]  # ARN patterns the policy governs (a bucket and its objects)
    policy: Policy

    def governs(self, arn: str) -> bool:
        return any(arn_matches(target, arn) for target in self.targets)


@dataclass
class Documents:
    identity: dict[tuple[str, str], list[Policy]] = field(default_factory=dict)
    resource: list[ResourcePolicy] = field(default_factory=list)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # ARN -> tags
    topic_keys: dict[str, str] = field(default_factory=dict)  # topic ARN -> key ARN
    # Every resource with an example ARN: (type, ARN, arguments), for the tables' look-ups.
    index: list[tuple[str, str, Mapping[str, Any]]] = field(default_factory=list)

    @classmethod
    def load(cls, stacks: Mapping[str, Mapping[str, Any]]) -> Documents:
        """From stack name -> synthesized Terraform JSON (`cdk.tf.json`)."""
        documents = cls()
        for name, stack_json in stacks.items():
            _Loader(documents, name, stack_json).load()
        for policy in documents.policies():
            check_conditions(policy)
        return documents

    def policies(self) -> Iterable[Policy]:
        for policies in self.identity.values():
            yield from policies
        for resource_policy in self.resource:
            yield resource_policy.policy

    def principal(self, kind: str, name: str) -> Principal:
        if kind != "service" and (kind, name) not in self.identity:
            # Kept apart from "has no policy": a typo in a table must not read as a Deny.
            known = sorted(n for k, n in self.identity if k == kind)
            raise KeyError(f"no {kind} {name} in the stacks; known: {known}")
        return Principal(kind, name, ACCOUNT)  # type: ignore[arg-type]

    def arn(self, kind: str, **arguments: str) -> str:
        """The example ARN of the one resource of this type with these arguments."""
        found = [
            arn
            for k, arn, args in self.index
            if k == kind and all(args.get(a) == v for a, v in arguments.items())
        ]
        assert len(found) == 1, f"{kind} with {arguments}: found {found}"
        return found[0]

    def known(self, arn: str) -> str:
        """`arn`, once checked to be a resource of the stacks (a table's typo fails here)."""
        assert arn in self.tags, f"no resource {arn} in the stacks"
        return arn

    def resource_policies(self, arn: str) -> list[Policy]:
        return [rp.policy for rp in self.resource if rp.governs(arn)]

    def decide(self, request: Request) -> Decision:
        tags = self.tags.get(request.resource, {})
        context = {f"aws:ResourceTag/{k}": v for k, v in tags.items()} | dict(request.context)
        request = Request(request.principal, request.action, request.resource, context)
        identity = self.identity.get((request.principal.kind, request.principal.name), [])
        return evaluate(request, identity, self.resource_policies(request.resource))

    def without_statement(self, policy_name: str, matches: Callable[[Any], bool]) -> Documents:
        """A copy with the statements of one policy that `matches` removed (mutation tests);
        fails when nothing was removed, so such a test cannot pass vacuously."""
        mutated = copy.deepcopy(self)
        removed = 0
        for policy in list(mutated.policies()):
            if policy.name != policy_name:
                continue
            statements = policy.statements()
            kept = [s for s in statements if not matches(s)]
            removed += len(statements) - len(kept)
            object.__setattr__(policy, "document", {**policy.document, "Statement": kept})
        assert removed, f"no statement of {policy_name} matched"
        return mutated


class _Loader:
    def __init__(self, documents: Documents, stack: str, stack_json: Mapping[str, Any]) -> None:
        self.documents = documents
        self.stack = stack
        self.json = stack_json
        self.resolver = Resolver(stack_json, stack)
        provider = stack_json["provider"]["aws"][0]
        self.default_tags: dict[str, str] = {}
        for block in provider.get("default_tags", []):
            self.default_tags |= block.get("tags", {})

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return dict(self.json.get("resource", {}).get(kind, {}))

    def policy(self, kind: str, address: str, text: str, policy_kind: str) -> Policy:
        document = json.loads(self.resolver.resolve(text))
        name = f"{kind}.{address} ({self.stack})"
        return Policy(name, policy_kind, document)  # type: ignore[arg-type]

    def identity(self, principal_kind: str, principal_ref: str, policy: Policy) -> None:
        name = self.resolver.resolve(principal_ref)
        self.documents.identity.setdefault((principal_kind, name), []).append(policy)

    def resource(self, targets: Iterable[str], policy: Policy) -> None:
        self.documents.resource.append(ResourcePolicy(tuple(targets), policy))

    def load(self) -> None:
        self._tags()
        self._roles()
        self._groups()
        self._buckets()
        self._topics()
        for kind, target in (
            ("aws_secretsmanager_secret_policy", "secret_arn"),
            ("aws_ecr_repository_policy", "repository"),
        ):
            for address, args in self.resources(kind).items():
                arn = self.resolver.resolve(args[target])
                if kind == "aws_ecr_repository_policy":
                    arn = f"arn:aws:ecr:{self.resolver.region}:{ACCOUNT}:repository/{arn}"
                self.resource([arn], self.policy(kind, address, args["policy"], "resource"))

    def _tags(self) -> None:
        for kind in (*ARNS, "aws_ecs_service"):
            for address, args in self.resources(kind).items():
                arn = self._arn(kind, address, args)
                self.documents.tags[arn] = self.default_tags | dict(args.get("tags") or {})
                self.documents.index.append((kind, arn, args))
        for address, args in self.resources("aws_db_instance").items():
            arn = db_master_secret(
                self.resolver.region, self.resolver.address("aws_db_instance", address)
            )
            self.documents.index.append(("rds master secret", arn, args))

    def _arn(self, kind: str, address: str, args: Mapping[str, Any]) -> str:
        if kind == "aws_ecs_service":
            cluster = self.resolver.resolve(args["cluster"]).rsplit("/", 1)[-1]
            region = self.resolver.region
            return f"arn:aws:ecs:{region}:{ACCOUNT}:service/{cluster}/{args['name']}"
        return self.resolver.arn(kind, address)

    def _roles(self) -> None:
        for address, args in self.resources("aws_iam_role").items():
            trust = self.policy("aws_iam_role", address, args["assume_role_policy"], "resource")
            arn = self.resolver.arn("aws_iam_role", address)
            self.resource([arn], trust)  # its trust policy, for sts:AssumeRole
            self.documents.identity.setdefault(("role", args["name"]), [])
            for inline in args.get("inline_policy") or []:
                text = inline["policy"]
                self.identity(
                    "role", args["name"], self.policy("inline", address, text, "identity")
                )
            for managed in args.get("managed_policy_arns") or []:
                self.identity("role", args["name"], self._attached(address, managed))
        for address, args in self.resources("aws_iam_role_policy").items():
            policy = self.policy("aws_iam_role_policy", address, args["policy"], "identity")
            self.identity("role", args["role"], policy)
        for address, args in self.resources("aws_iam_role_policy_attachment").items():
            self.identity("role", args["role"], self._attached(address, args["policy_arn"]))

    def _groups(self) -> None:
        for args in self.resources("aws_iam_group").values():
            self.documents.identity.setdefault(("group", args["name"]), [])
        for address, args in self.resources("aws_iam_group_policy").items():
            policy = self.policy("aws_iam_group_policy", address, args["policy"], "identity")
            self.identity("group", args["group"], policy)
        for address, args in self.resources("aws_iam_group_policy_attachment").items():
            self.identity("group", args["group"], self._attached(address, args["policy_arn"]))

    def _attached(self, address: str, policy_arn: str) -> Policy:
        """An attached policy: a customer managed one of these stacks, else AWS managed."""
        prefix = "${aws_iam_policy."
        if policy_arn.startswith(prefix):
            target = policy_arn.removeprefix(prefix).split(".")[0]
            args = self.resources("aws_iam_policy")[target]
            return self.policy("aws_iam_policy", target, args["policy"], "identity")
        name = f"{policy_arn} (AWS managed, attached by {address})"
        return Policy(name, "identity", managed_policy(policy_arn))

    def _buckets(self) -> None:
        for address, args in self.resources("aws_s3_bucket_policy").items():
            bucket = self.resolver.resolve(args["bucket"])
            policy = self.policy("aws_s3_bucket_policy", address, args["policy"], "resource")
            self.resource([f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"], policy)

    def _topics(self) -> None:
        with_policy: set[str] = set()
        for address, args in self.resources("aws_sns_topic_policy").items():
            arn = self.resolver.resolve(args["arn"])
            with_policy.add(arn)
            self.resource(
                [arn], self.policy("aws_sns_topic_policy", address, args["policy"], "resource")
            )
        keys = {
            self.resolver.arn("aws_kms_key", address): (address, args)
            for address, args in self.resources("aws_kms_key").items()
        }
        key_policies = {
            self.resolver.resolve(args["key_id"]): (address, args["policy"])
            for address, args in self.resources("aws_kms_key_policy").items()
        }
        for key_arn, (address, args) in keys.items():
            key_id = key_arn.rsplit("/", 1)[-1]
            found = key_policies.get(key_id) or key_policies.get(key_arn)
            if found:
                self.resource(
                    [key_arn], self.policy("aws_kms_key_policy", found[0], found[1], "key")
                )
            elif args.get("policy"):
                self.resource([key_arn], self.policy("aws_kms_key", address, args["policy"], "key"))
            else:
                raise NotImplementedError(
                    f"{address}: a key without a policy gets AWS's default key policy; vendor it"
                )
        for address, args in self.resources("aws_sns_topic").items():
            arn = self.resolver.arn("aws_sns_topic", address)
            if args.get("policy"):
                self.resource(
                    [arn], self.policy("aws_sns_topic", address, args["policy"], "resource")
                )
            elif arn not in with_policy:
                name = f"SNS default topic policy of aws_sns_topic.{address} ({self.stack})"
                self.resource([arn], Policy(name, "resource", default_topic_policy(arn)))
            if args.get("kms_master_key_id"):
                self.documents.topic_keys[arn] = self._key(args["kms_master_key_id"])

    def _key(self, reference: str) -> str:
        """A topic's `kms_master_key_id` (key id, key ARN, alias name or alias ARN) -> key ARN."""
        region = self.resolver.region
        value = self.resolver.resolve(reference)
        if value.startswith("alias/aws/") or ":alias/aws/" in value:
            arn = kms_key(region, key_id(value.rsplit(":", 1)[-1]))  # the AWS managed key
            if arn not in {t for rp in self.documents.resource for t in rp.targets}:
                name = f"AWS managed key {value} key policy ({self.stack})"
                self.resource([arn], Policy(name, "key", aws_managed_sns_key_policy(region)))
            return arn
        alias = value.rsplit(":", 1)[-1]
        if alias.startswith("alias/"):
            for args in self.resources("aws_kms_alias").values():
                if args["name"] == alias:
                    return self._key(args["target_key_id"])
            raise KeyError(f"no aws_kms_alias {alias}")
        return value if value.startswith("arn:") else kms_key(region, value)
