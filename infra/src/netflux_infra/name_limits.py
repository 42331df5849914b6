"""AWS name-length limits, checked against every name `naming.py` derives for an environment.

An environment name that makes one name too long would otherwise fail half-way through an apply
(the load balancer's 32 characters come first). `EnvironmentConfig` calls `check_names` when it
is built, so a config that cannot deploy is refused with the limit and the offending name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from netflux_infra.naming import EnvironmentNames

# Lower-case letters, digits and single hyphens, starting with a letter: what S3 buckets, RDS
# identifiers and load balancers all accept
# (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
ENVIRONMENT_NAME = re.compile(r"^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$")

# The provider appends 26 characters to a name prefix (a timestamp and a counter).
GENERATED_SUFFIX = 26


@dataclass(frozen=True)
class NameLimit:
    what: str
    max_length: int
    names: Callable[[EnvironmentNames, Sequence[str]], list[str]]  # (names, services) -> names
    doc: str


def _each(make: Callable[[EnvironmentNames, str], str]) -> Callable[..., list[str]]:
    return lambda names, services: [make(names, s) for s in services]


def _one(make: Callable[[EnvironmentNames], str]) -> Callable[..., list[str]]:
    return lambda names, services: [make(names)]


LIMITS: tuple[NameLimit, ...] = (
    NameLimit(
        "load balancer name", 32, _one(lambda n: n.load_balancer),
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
    ),
    NameLimit(
        "target group name prefix", 6, _each(lambda n, s: n.target_group_prefix(s)),
        "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/lb_target_group#name_prefix",
    ),
    NameLimit(
        "RDS DB instance identifier", 63, _one(lambda n: n.db_instance),
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
    ),
    NameLimit(
        # The final snapshot name gets "-" and a 14-digit creation time (database.py).
        "RDS final snapshot identifier", 255 - 15, _one(lambda n: n.final_snapshot),
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html",
    ),
    NameLimit(
        "RDS DB parameter group name prefix", 255 - GENERATED_SUFFIX,
        _one(lambda n: n.db_parameter_group_prefix),
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html",
    ),
    NameLimit(
        "IAM role name", 64,
        lambda n, services: [
            name for s in services for name in (n.execution_role(s), n.task_role(s))
        ],
        "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
    ),
    NameLimit(
        # 63 characters a bucket name, of which the provider's suffix takes 26.
        "S3 bucket name prefix", 63 - GENERATED_SUFFIX,
        lambda n, services: [n.bucket_prefix(p) for p in ("logs", "web")],
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
    ),
    NameLimit(
        "ECR repository name", 256, _each(lambda n, s: n.repository(s)),
        "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html",
    ),
    NameLimit(
        "CloudWatch log group name", 512,
        lambda n, services: [
            *(n.log_group(s) for s in services), n.db_log_group("postgresql")
        ],
        "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
    ),
    NameLimit(
        "security group name prefix", 255 - GENERATED_SUFFIX,
        lambda n, services: [n.security_group_prefix("endpoints")],
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
    ),
    NameLimit(
        "ECS task definition family", 255, _each(lambda n, s: n.task_family(s)),
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html",
    ),
    NameLimit(
        "ECS cluster name", 255, _one(lambda n: n.cluster),
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html",
    ),
    NameLimit(
        "Secrets Manager secret name", 512,
        lambda n, services: [*(n.database_secret(s) for s in services), n.origin_secret],
        "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html",
    ),
    NameLimit(
        "SNS topic name", 256, _one(lambda n: n.alarm_topic),
        "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
    ),
    NameLimit(
        "KMS alias name", 256, _one(lambda n: n.alarm_key_alias),
        "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
    ),
    NameLimit(
        "CloudWatch dashboard name", 255, _one(lambda n: n.dashboard),
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
    ),
    NameLimit(
        "WAF web ACL or IP set name", 128,
        lambda n, services: [n.web_acl, n.blocked_ip_set],
        "https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html",
    ),
    NameLimit(
        "Application Auto Scaling policy name", 256,
        _each(lambda n, s: n.scaling_policy(s, "requests")),
        "https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html",
    ),
)  # fmt: skip


def name_problems(names: EnvironmentNames, services: Sequence[str]) -> list[str]:
    """One line per name that AWS would refuse, naming the limit and the longest offender."""
    problems = []
    if not ENVIRONMENT_NAME.match(names.environment):
        problems.append(
            f"environment name {names.environment!r}: lower-case letters, digits and single "
            "hyphens, starting with a letter and ending with a letter or digit"
        )
        return problems
    for limit in LIMITS:
        longest = max(limit.names(names, services), key=len)
        if len(longest) > limit.max_length:
            problems.append(
                f"{limit.what} {longest!r} has {len(longest)} characters; AWS allows "
                f"{limit.max_length} ({limit.doc})"
            )
    return problems
