"""One typed configuration per environment. No account ids, no secrets: only shape and sizing.

Availability zones and the CloudFront prefix list id are explicit so that synthesis and
`terraform plan` never need a data source that calls AWS.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from netflux_catalogue import SERVICES
from netflux_infra.name_limits import name_problems
from netflux_infra.naming import TEAMS, EnvironmentNames
from netflux_infra.retention import Retention

# The CloudFront origin-facing managed prefix list differs by region (AWS publishes the ids).
CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS = {
    "us-east-1": "pl-3b927c52",
    "us-east-2": "pl-b6a144df",
    "us-west-2": "pl-82a045eb",
    "eu-west-1": "pl-4fa04526",
    "eu-central-1": "pl-a3a144ca",
}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServiceSizing(Frozen):
    cpu: int = 256  # Fargate CPU units
    memory: int = 512  # MiB
    desired_count: int = Field(default=1, ge=0)
    min_count: int = Field(default=1, ge=0)
    max_count: int = Field(default=2, ge=1)

    @model_validator(mode="after")
    def _bounds(self) -> ServiceSizing:
        if not self.min_count <= self.desired_count <= self.max_count:
            raise ValueError("need min_count <= desired_count <= max_count")
        return self


class StateBackend(Frozen):
    """`local` (default) or `s3` with S3-native locking (Terraform >= 1.10)."""

    kind: Literal["local", "s3"] = "local"
    bucket: str | None = None
    key_prefix: str = "netflux"
    region: str | None = None

    @model_validator(mode="after")
    def _s3_needs_bucket(self) -> StateBackend:
        if self.kind == "s3" and not self.bucket:
            raise ValueError("an s3 state backend needs a bucket")
        return self


class PipelineConfig(Frozen):
    """The delivery pipeline: source -> build -> staging -> approval -> prod."""

    name: str = "netflux"
    region: str = "us-east-1"
    # A CodeConnections (CodeStar) connection to the Git host. Left empty, the stack creates one
    # in PENDING state: finish the host's handshake once in the console.
    connection_arn: str | None = None
    provider_type: Literal["GitHub", "GitLab", "Bitbucket"] = "GitHub"
    repository: str = "example-org/netflux"  # owner/name on the Git host
    branch: str = "main"
    build_compute: str = "BUILD_GENERAL1_MEDIUM"
    build_image: str = "aws/codebuild/standard:7.0"
    artifact_retention_days: int = 30
    log_retention_days: int = 30


class EnvironmentConfig(Frozen):
    name: str
    region: str = "us-east-1"
    availability_zones: tuple[str, str] = ("us-east-1a", "us-east-1b")
    vpc_cidr: str = "10.0.0.0/16"
    nat_gateways: bool = False  # the seed: "do it later"; VPC endpoints cover AWS APIs meanwhile
    # Client addresses refused at the edge, by the stack's WAF (needs `waf`). Behind CloudFront
    # the load balancer and the subnets only ever see CloudFront's addresses, so a network ACL
    # could not block a client: the web ACL sees the viewer's address (edge_waf.py).
    blocked_cidrs: tuple[str, ...] = ()
    cloudfront_prefix_list_id: str | None = None  # default: the region's entry above

    domain_name: str | None = None  # optional custom domain for CloudFront
    certificate_arn: str | None = None  # ACM certificate in us-east-1 for that domain
    # With a certificate on the ALB, CloudFront reaches it over HTTPS (443) instead of HTTP (80).
    alb_certificate_arn: str | None = None
    alb_origin_domain: str | None = None  # the name that certificate covers (a CNAME to the ALB)
    web_acl_arn: str | None = None  # an existing WAFv2 web ACL (CLOUDFRONT scope) to attach
    # Or a web ACL created by the stack: AWS managed rules and a per-client rate limit.
    waf: bool = False
    waf_rate_limit: int = Field(default=2000, ge=10)  # requests per client address, 5 minutes
    # Who hears the alarms (e-mail; each address confirms its subscription once).
    alarm_emails: tuple[str, ...] = ()

    db_instance_class: str = "db.t4g.micro"
    db_allocated_storage: int = 20
    db_max_allocated_storage: int = 100
    db_multi_az: bool = False
    db_backup_retention_days: int = Field(default=7, ge=1, le=35)
    # Not offered on the burstable micro/small classes.
    db_performance_insights: bool = False

    # Keyed by service name ("movie-service"); every service has an entry, defaults included.
    sizing: dict[str, ServiceSizing] = Field(
        default_factory=lambda: {spec.name: ServiceSizing() for spec in SERVICES}
    )
    fargate_spot: bool = False
    log_retention_days: int = 30

    # Operations (issue 14; docs/operations.md). ECS Exec into the tasks, with session logging:
    # replaces the seed's bastion. Costs the read-only root filesystem of the service containers.
    ecs_exec: bool = False
    # An ADOT collector sidecar in each task sending the services' OTLP traces to X-Ray.
    tracing: bool = False
    # The share of requests traced (head sampling where a request enters, followed downstream):
    # in the benchmark tracing every request cost x1.2-1.5 the CPU of these cheap requests, a
    # tenth x1.0-1.16 (docs/performance.md). 1.0 traces everything.
    trace_sample_ratio: float = Field(default=0.1, gt=0, le=1)
    # An RDS read replica that movie-service (it only reads) queries instead of the primary.
    db_read_replica: bool = False

    state: StateBackend = StateBackend()
    requires_approval: bool = False  # a manual approval before the pipeline deploys here
    # Whether the environment's data outlives a `terraform destroy`: see retention.py for every
    # resource flag this decides (deletion protection, final snapshot, force-destroy, ...).
    retain_on_destroy: bool = False

    @property
    def names(self) -> EnvironmentNames:
        return EnvironmentNames(self.name)

    @property
    def retention(self) -> Retention:
        return Retention(self.retain_on_destroy)

    @property
    def prefix_list_id(self) -> str:
        if self.cloudfront_prefix_list_id:
            return self.cloudfront_prefix_list_id
        try:
            return CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS[self.region]
        except KeyError:
            raise ValueError(f"set cloudfront_prefix_list_id for region {self.region}") from None

    @model_validator(mode="after")
    def _consistent(self) -> EnvironmentConfig:
        if not all(az.startswith(self.region) for az in self.availability_zones):
            raise ValueError("availability_zones must be in the environment's region")
        if bool(self.domain_name) != bool(self.certificate_arn):
            raise ValueError("domain_name and certificate_arn go together")
        if bool(self.alb_certificate_arn) != bool(self.alb_origin_domain):
            raise ValueError("alb_certificate_arn and alb_origin_domain go together")
        if self.waf and self.web_acl_arn:
            raise ValueError(
                "waf (a web ACL created by the stack) and web_acl_arn exclude each other"
            )
        for cidr in self.blocked_cidrs:
            ipaddress.ip_network(cidr)  # a ValueError names the malformed one
        if self.blocked_cidrs and not self.waf:
            raise ValueError(
                "blocked_cidrs needs waf=True: behind CloudFront only the web ACL sees client"
                " addresses"
            )
        services = {spec.name for spec in SERVICES}
        if set(self.sizing) != services:
            raise ValueError(f"sizing needs exactly one entry per service: {sorted(services)}")
        problems = name_problems(self.names, [spec.name for spec in SERVICES])
        if problems:
            raise ValueError("names AWS would refuse:\n" + "\n".join(problems))
        return self


STAGING = EnvironmentConfig(
    name="staging",
    sizing={
        "movie-service": ServiceSizing(desired_count=1, min_count=1, max_count=2),
        "customer-service": ServiceSizing(desired_count=1, min_count=1, max_count=2),
    },
    fargate_spot=True,  # up to 90% cheaper; AWS may reclaim a task with a 2-minute warning
    log_retention_days=14,
    ecs_exec=True,  # operators reach staging's tasks; prod's stay read-only and closed
    # Off by default: the offline rehearsal cannot run the ADOT collector image (no registry
    # here); turn it on per environment (docs/operations.md).
    tracing=False,
)

PROD = EnvironmentConfig(
    name="prod",
    db_instance_class="db.t4g.medium",
    db_performance_insights=True,
    db_multi_az=True,
    db_backup_retention_days=14,
    sizing={
        "movie-service": ServiceSizing(desired_count=2, min_count=2, max_count=6),
        "customer-service": ServiceSizing(desired_count=4, min_count=4, max_count=12),
    },
    log_retention_days=90,
    waf=True,  # AWS managed rules and a rate limit in front of the production site
    db_read_replica=True,  # movie reads off the primary, which keeps the customers' writes
    requires_approval=True,
    retain_on_destroy=True,
)


class IdentityCenter(Frozen):
    """IAM Identity Center: the teams become permission sets of this instance instead of IAM
    groups. Each team's group in the identity store (by id) is assigned its permission set in
    `account_id` when both are given; else assign them once in the console."""

    instance_arn: str
    account_id: str | None = None
    group_ids: dict[str, str] = Field(default_factory=dict)  # team -> identity store group id


class AccessConfig(Frozen):
    """The team access stack (docs/access.md). Users are not created here: they come from the
    identity provider, and only group membership is an input."""

    name: str = "netflux"
    region: str = "us-east-1"
    # team ("developers", "devops", "auditors") -> existing IAM user names
    members: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    identity_center: IdentityCenter | None = None
    # Environments whose changes need MFA (the tag value of `Environment` on their resources).
    mfa_environments: tuple[str, ...] = ("prod",)
    # Environments developers may deploy to and DevOps may exec into.
    developer_environments: tuple[str, ...] = ("staging",)

    @model_validator(mode="after")
    def _known_teams(self) -> AccessConfig:
        teams = set(TEAMS)
        unknown = (
            set(self.members) | set(self.identity_center.group_ids if self.identity_center else ())
        ) - teams
        if unknown:
            raise ValueError(f"unknown teams {sorted(unknown)}; teams are {sorted(teams)}")
        return self


ENVIRONMENTS: dict[str, EnvironmentConfig] = {env.name: env for env in (STAGING, PROD)}

PIPELINE = PipelineConfig()

ACCESS = AccessConfig()
