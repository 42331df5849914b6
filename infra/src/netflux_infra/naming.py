"""The names of Netflux resources, decided once.

Other stacks and tools reach resources by name, not by reference: the pipeline deploys into
`netflux-<env>`'s cluster, pushes to its repositories and passes its task roles; `make release`
pushes to the same repositories. Every one of them asks this module, so a rename is one edit.

No cdktf import: the names are plain strings, testable without synthesis.
"""

from __future__ import annotations

from dataclasses import dataclass

PROJECT = "netflux"


def short_name(service: str) -> str:
    """`movie-service` -> `movie`: the form used inside longer names and Terraform ids."""
    return service.removesuffix("-service")


@dataclass(frozen=True)
class EnvironmentNames:
    """Names of one environment's resources (`netflux-staging`, `netflux-prod`)."""

    environment: str

    @property
    def prefix(self) -> str:
        """Starts every name in the environment; also its stack's and its cluster's name."""
        return f"{PROJECT}-{self.environment}"

    @property
    def stack(self) -> str:
        return self.prefix

    @property
    def cluster(self) -> str:
        return self.prefix

    def ecs_service(self, service: str) -> str:
        # Service Connect and the pipeline's imagedefinitions address the service by this name.
        return service

    def repository(self, service: str) -> str:
        return f"{self.prefix}/{service}"

    def execution_role(self, service: str) -> str:
        return f"{self.prefix}-{short_name(service)}-execution"

    def task_role(self, service: str) -> str:
        return f"{self.prefix}-{short_name(service)}-task"

    def task_family(self, service: str) -> str:
        return f"{self.prefix}-{service}"

    def log_group(self, service: str) -> str:
        return f"/ecs/{self.prefix}/{service}"

    def target_group(self, service: str) -> str:
        """The target group's Name tag; AWS names it from `target_group_prefix`."""
        return f"{self.prefix}-{short_name(service)}"

    def target_group_prefix(self, service: str) -> str:
        # A replacement is created before the old group goes (create_before_destroy): a fixed
        # name would collide, a prefix gets a unique suffix. Target groups allow 6 characters.
        return f"{short_name(service)[:5]}-"

    def security_group_prefix(self, group: str) -> str:
        return f"{self.prefix}-{group}-"

    @property
    def load_balancer(self) -> str:
        return self.prefix

    @property
    def db_instance(self) -> str:
        return self.prefix

    @property
    def db_parameter_group_prefix(self) -> str:
        return f"{self.prefix}-postgres16-"

    def db_log_group(self, log: str) -> str:
        """Where RDS exports a log (`postgresql`, `upgrade`): RDS fixes this name."""
        return f"/aws/rds/instance/{self.db_instance}/{log}"

    def bucket_prefix(self, purpose: str) -> str:
        return f"{self.prefix}-{purpose}-"

    @property
    def alarm_topic(self) -> str:
        return f"{self.prefix}-alarms"

    @property
    def alarm_key_alias(self) -> str:
        return f"alias/{self.prefix}-alarms"

    def alarm(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    @property
    def dashboard(self) -> str:
        return self.prefix

    @property
    def origin_secret(self) -> str:
        return f"{self.prefix}/edge/origin-verify"

    @property
    def web_acl(self) -> str:
        return f"{self.prefix}-edge"

    @property
    def blocked_ip_set(self) -> str:
        return f"{self.prefix}-blocked"

    def scaling_policy(self, service: str, metric: str) -> str:
        return f"{self.prefix}-{short_name(service)}-{metric}"

    def database_secret(self, service: str) -> str:
        return f"{self.prefix}/{service}/database"

    @property
    def final_snapshot(self) -> str:
        """The final snapshot's identifier starts so; database.py appends the creation time."""
        return f"{self.prefix}-final"

    @property
    def read_replica(self) -> str:
        """The database's read replica (the primary's identifier is the prefix)."""
        return f"{self.prefix}-replica"

    @property
    def ecr_public_cache(self) -> str:
        """The repository prefix of the ECR pull-through cache of ECR Public (public.ecr.aws)."""
        return f"{self.prefix}-ecr-public"

    @property
    def exec_sessions(self) -> str:
        """The log group of ECS Exec sessions, and the alias of the key that encrypts them."""
        return f"/ecs/{self.prefix}/exec-sessions"


@dataclass(frozen=True)
class PipelineNames:
    """Names of the delivery pipeline's own resources."""

    pipeline: str

    @property
    def stack(self) -> str:
        return f"{self.pipeline}-pipeline"

    @property
    def build_project(self) -> str:
        return f"{self.pipeline}-build"

    @property
    def build_role(self) -> str:
        return f"{self.pipeline}-codebuild"

    @property
    def pipeline_role(self) -> str:
        return f"{self.pipeline}-codepipeline"

    def approval_stage(self, environment: str) -> str:
        return f"Approve-{environment}"

    approval_action = "Approve"


TEAMS = ("developers", "devops", "auditors")


@dataclass(frozen=True)
class AccessNames:
    """Names of the team access stack's groups (or permission sets) and policies."""

    project: str = PROJECT

    @property
    def stack(self) -> str:
        return f"{self.project}-access"

    def group(self, team: str) -> str:
        return f"{self.project}-{team}"

    @property
    def developers(self) -> str:
        return self.group("developers")

    @property
    def devops(self) -> str:
        return self.group("devops")

    @property
    def auditors(self) -> str:
        return self.group("auditors")


def artifact_name(environment: str, service: str) -> str:
    """The buildspec's secondary artifact: one environment's imagedefinitions of a service."""
    return f"{environment}_{short_name(service)}"
