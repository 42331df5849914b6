"""Concrete example ARNs for synthesized Terraform, so policy patterns can be compared.

Synthesized policies point at other resources with Terraform references
(`${aws_ecr_repository.registry_movie_703A54A4.arn}`): values only known after an apply. To
evaluate a policy offline, each reference is replaced by the value the resource would get in
one fixed example account (`ACCOUNT`) and the stack's region, built from the resource's own
arguments: a repository's `name`, a bucket's `bucket` (or `bucket_prefix` + "example"), a role's
`name`, a task definition's `family`. Values AWS generates itself (a KMS key id, a secret's
6-character suffix, a distribution id) get a fixed stand-in derived from the Terraform address,
so two resources never share one. The ARN formats are AWS's
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html,
one page per service). The tables build their request ARNs with the same functions, so a
pattern and a request are compared in the same terms.

A reference this module cannot resolve raises `UnresolvedReference`: guessing would let a
policy pass or fail for the wrong reason.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

ACCOUNT = "111122223333"  # AWS's documentation example account
DISTRIBUTION_ID = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # what CloudFront's ids are made of
REFERENCE = re.compile(r"\$\{([^}]*)\}")


class UnresolvedReference(ValueError):
    pass


def stand_in(address: str, length: int, alphabet: str = "0123456789abcdef") -> str:
    """A fixed value derived from a Terraform address, for ids AWS generates."""
    digest = hashlib.sha256(address.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


# --- ARN formats (request side and reference side use these) -----------------------------------


def ecr_repository(region: str, name: str) -> str:
    return f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{name}"


def log_group(region: str, name: str) -> str:
    # Terraform's `arn` attribute of a log group has no trailing `:*`.
    return f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}"


def log_stream(region: str, group: str, stream: str) -> str:
    return f"{log_group(region, group)}:log-stream:{stream}"


def secret(region: str, name: str, suffix: str) -> str:
    # Secrets Manager appends a hyphen and six random characters to the name.
    return f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{name}-{suffix}"


def s3_bucket(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def iam(kind: str, name: str, path: str = "/") -> str:
    # IAM ARNs carry the entity's path: group/netflux/netflux-devops.
    return f"arn:aws:iam::{ACCOUNT}:{kind}{path}{name}"


def ecs(region: str, resource: str) -> str:
    return f"arn:aws:ecs:{region}:{ACCOUNT}:{resource}"


def sns_topic(region: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{ACCOUNT}:{name}"


def kms_key(region: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"


def alarm(region: str, name: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{name}"


def codepipeline(region: str, resource: str) -> str:
    return f"arn:aws:codepipeline:{region}:{ACCOUNT}:{resource}"


def bucket_name(args: Mapping[str, Any]) -> str:
    return str(args.get("bucket") or f"{args['bucket_prefix']}example")


def key_id(address: str) -> str:
    h = stand_in(address, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


# Per resource type: (region, address, arguments) -> ARN.
ArnOf = Callable[[str, str, Mapping[str, Any]], str]
ARNS: dict[str, ArnOf] = {
    "aws_ecr_repository": lambda r, a, x: ecr_repository(r, x["name"]),
    "aws_cloudwatch_log_group": lambda r, a, x: log_group(r, x["name"]),
    "aws_secretsmanager_secret": lambda r, a, x: secret(r, x["name"], stand_in(a, 6)),
    "aws_s3_bucket": lambda r, a, x: s3_bucket(bucket_name(x)),
    "aws_iam_role": lambda r, a, x: iam("role", x["name"], x.get("path", "/")),
    "aws_iam_policy": lambda r, a, x: iam("policy", x["name"], x.get("path", "/")),
    "aws_iam_group": lambda r, a, x: iam("group", x["name"], x.get("path", "/")),
    "aws_ecs_cluster": lambda r, a, x: ecs(r, f"cluster/{x['name']}"),
    "aws_ecs_task_definition": lambda r, a, x: ecs(r, f"task-definition/{x['family']}:1"),
    "aws_sns_topic": lambda r, a, x: sns_topic(r, x["name"]),
    "aws_kms_key": lambda r, a, x: kms_key(r, key_id(a)),
    "aws_kms_alias": lambda r, a, x: f"arn:aws:kms:{r}:{ACCOUNT}:{x['name']}",
    "aws_cloudwatch_metric_alarm": lambda r, a, x: alarm(r, x["alarm_name"]),
    "aws_cloudfront_distribution": lambda r, a, x: (
        f"arn:aws:cloudfront::{ACCOUNT}:distribution/E{stand_in(a, 13, DISTRIBUTION_ID)}"
    ),
    "aws_codebuild_project": lambda r, a, x: f"arn:aws:codebuild:{r}:{ACCOUNT}:project/{x['name']}",
    "aws_codebuild_report_group": lambda r, a, x: (
        f"arn:aws:codebuild:{r}:{ACCOUNT}:report-group/{x['name']}"
    ),
    "aws_codestarconnections_connection": lambda r, a, x: (
        f"arn:aws:codestar-connections:{r}:{ACCOUNT}:connection/{key_id(a)}"
    ),
    "aws_codepipeline": lambda r, a, x: codepipeline(r, x["name"]),
}


def db_master_secret(region: str, address: str) -> str:
    """RDS names the secret it manages `rds!db-<uuid>`
    (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html)."""
    return secret(region, f"rds!db-{key_id(address)}", stand_in(address + "/secret", 6))


class Resolver:
    """Replaces `${...}` references in one stack's strings by example values."""

    def __init__(self, stack_json: Mapping[str, Any], stack: str) -> None:
        self.json = stack_json
        self.stack = stack  # seeds the stand-ins: staging's key is not prod's
        [provider] = stack_json["provider"]["aws"]
        self.region: str = provider["region"]

    def arguments(self, kind: str, name: str) -> Mapping[str, Any]:
        try:
            return dict(self.json["resource"][kind][name])
        except KeyError:
            raise UnresolvedReference(f"no resource {kind}.{name}") from None

    def arn(self, kind: str, name: str) -> str:
        if kind not in ARNS:
            raise UnresolvedReference(f"no example ARN format for {kind}")
        return ARNS[kind](self.region, self.address(kind, name), self.arguments(kind, name))

    def address(self, kind: str, name: str) -> str:
        return f"{self.stack}/{kind}.{name}"

    def attribute(self, expression: str) -> str:
        parts = expression.split(".")
        if parts[0] == "data":
            return self._data(parts[1:])
        if len(parts) < 3:
            raise UnresolvedReference(f"cannot resolve ${{{expression}}}")
        kind, name, attribute = parts[0], parts[1], ".".join(parts[2:])
        args = self.arguments(kind, name)
        if kind == "aws_db_instance" and attribute == "master_user_secret[0].secret_arn":
            return db_master_secret(self.region, self.address(kind, name))
        if kind == "aws_kms_key" and attribute in ("id", "key_id"):
            return key_id(self.address(kind, name))
        if kind == "aws_kms_alias" and attribute in ("id", "name"):
            return self.resolve(str(args["name"]))
        if attribute == "arn":
            return self.arn(kind, name)
        if attribute in ("owner_id", "registry_id"):  # the account that owns the resource
            return ACCOUNT
        if attribute in ("name", "id", "bucket", "family"):
            if kind == "aws_s3_bucket":
                return bucket_name(args)
            if kind == "aws_sns_topic" and attribute == "id":
                return self.arn(kind, name)  # a topic's id is its ARN
            for argument in (attribute, "name", "family"):
                if argument in args:
                    return self.resolve(str(args[argument]))
        raise UnresolvedReference(f"cannot resolve ${{{expression}}}")

    def _data(self, parts: list[str]) -> str:
        kind = parts[0]
        if kind == "aws_caller_identity" and parts[-1] == "account_id":
            return ACCOUNT
        if kind == "aws_region" and parts[-1] in ("name", "region", "id"):
            return self.region
        if kind == "aws_partition" and parts[-1] == "partition":
            return "aws"
        raise UnresolvedReference(
            f"data source data.{'.'.join(parts)}: the evaluator reads plain JSON policies only"
        )

    def resolve(self, text: str) -> str:
        return REFERENCE.sub(lambda m: self.attribute(m.group(1)), text)

    def resolve_tree(self, node: Any) -> Any:
        if isinstance(node, str):
            return self.resolve(node)
        if isinstance(node, list):
            return [self.resolve_tree(v) for v in node]
        if isinstance(node, dict):
            return {k: self.resolve_tree(v) for k, v in node.items()}
        return node
