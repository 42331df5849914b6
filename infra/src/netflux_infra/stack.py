"""One environment's whole topology as one Terraform stack: the root module wiring the others."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from cdktf import (
    LocalBackend,
    S3Backend,
    TerraformOutput,
    TerraformStack,
    TerraformVariable,
    TerraformVariableValidationConfig,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from netflux_catalogue import SERVICES, Service
from netflux_infra import image_tag
from netflux_infra.compute import Compute
from netflux_infra.config import EnvironmentConfig, StateBackend
from netflux_infra.database import Database
from netflux_infra.dbinit import DatabaseInit
from netflux_infra.ecs_exec import ExecSessions, exec_additions, exec_endpoints
from netflux_infra.ecs_service import FargateService, ServiceWiring, capacity_strategy
from netflux_infra.edge import Edge
from netflux_infra.monitoring import Monitoring
from netflux_infra.naming import short_name
from netflux_infra.network import Network, VpcEndpoints
from netflux_infra.read_replica import ReadReplica, replica_additions
from netflux_infra.registry import PullThroughCache, Registry
from netflux_infra.security import SecurityGroups
from netflux_infra.task_additions import TaskAdditions
from netflux_infra.tracing import tracing_additions, tracing_endpoints

# Extra AwsProvider arguments, e.g. a rehearsal's emulator endpoints; none in production.
ProviderOverrides = Mapping[str, Any]
NO_OVERRIDES: ProviderOverrides = MappingProxyType({})
# Where CloudFront's global resources (its web ACLs) are created.
GLOBAL_REGION = "us-east-1"


def aws_provider(
    stack: TerraformStack,
    region: str,
    environment: str,
    overrides: ProviderOverrides = NO_OVERRIDES,
    alias: str | None = None,
) -> AwsProvider:
    """The AWS provider (or, with an alias, one for another region); every resource carries
    these tags."""
    tags = {"Project": "netflux", "Environment": environment, "ManagedBy": "cdktf"}
    return AwsProvider(
        stack,
        f"aws-{alias}" if alias else "aws",
        alias=alias,
        region=region,
        default_tags=[AwsProviderDefaultTags(tags=tags)],
        **overrides,
    )


def configure_backend(
    stack: TerraformStack, id_: str, state: StateBackend, name: str, region: str
) -> None:
    if state.kind == "s3":
        S3Backend(
            stack,
            bucket=state.bucket or "",
            key=f"{state.key_prefix}/{name}/terraform.tfstate",
            region=state.region or region,
            encrypt=True,
        )
        # S3-native state locking (Terraform >= 1.10), no DynamoDB table; cdktf 0.21 has no
        # property for it yet.
        stack.add_override("terraform.backend.s3.use_lockfile", True)
    else:
        # Relative to the stack's folder: no absolute path of this machine in the output.
        LocalBackend(stack, path=f"terraform.{id_}.tfstate")


def image_tag_variable(stack: TerraformStack) -> TerraformVariable:
    """The image every service runs, chosen at apply time (`make deploy` passes the commit it
    pushed): no default, so no apply can fall back to a tag that was never pushed."""
    return TerraformVariable(
        stack,
        image_tag.VARIABLE,
        type="string",
        nullable=False,
        description="Image tag both services run (a commit pushed to their ECR repositories)",
        validation=[
            TerraformVariableValidationConfig(
                condition=image_tag.TERRAFORM_CONDITION, error_message=image_tag.ERROR_MESSAGE
            )
        ],
    )


class NetfluxStack(TerraformStack):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        provider_overrides: ProviderOverrides = NO_OVERRIDES,
    ) -> None:
        super().__init__(scope, id_)
        self.config = config
        aws_provider(self, config.region, config.name, provider_overrides)
        configure_backend(self, id_, config.state, config.name, config.region)

        self.image_tag = image_tag_variable(self)
        self.network = Network(self, "network", config)
        self.security = SecurityGroups(self, "security", config, self.network)
        if not config.nat_gateways:
            # In the `security` scope, where the endpoints have always been (their addresses).
            VpcEndpoints(
                self.security,
                config,
                self.network,
                self.security.endpoints.id,
                exec_endpoints(config) + tracing_endpoints(config),
            )
        # A CloudFront web ACL lives in us-east-1 (edge_waf.py): a second provider elsewhere.
        us_east_1 = (
            aws_provider(self, GLOBAL_REGION, config.name, provider_overrides, alias=GLOBAL_REGION)
            if config.waf and config.region != GLOBAL_REGION
            else None
        )
        self.edge = Edge(self, "edge", config, self.network, self.security, us_east_1=us_east_1)
        self.database = Database(self, "database", config, self.network, self.security)
        self.read_replica = (
            ReadReplica(self, "read-replica", config, self.database.instance)
            if config.db_read_replica
            else None
        )
        self.registry = Registry(self, "registry", config)
        self.exec_sessions = (
            ExecSessions(self, "exec-sessions", config, account_id=self.registry.account_id)
            if config.ecs_exec
            else None
        )
        self.compute = Compute(
            self,
            "compute",
            config.names,
            self.exec_sessions.cluster_configuration() if self.exec_sessions else None,
        )
        # In the `db-init` scope, where the pull-through cache rule has always been (its address).
        self.cache = PullThroughCache(self, "db-init", config, self.registry)
        self.services = {spec.name: self._service(spec) for spec in SERVICES}
        load_balancer = self.edge.load_balancer
        Monitoring(
            self,
            "monitoring",
            config,
            account_id=self.network.vpc.owner_id,  # no data source: plans stay offline
            load_balancer_arn_suffix=load_balancer.alb.arn_suffix,
            target_group_arn_suffixes={
                name: tg.arn_suffix for name, tg in load_balancer.target_groups.items()
            },
            cluster_name=self.compute.cluster.name,
            service_names={name: svc.service.name for name, svc in self.services.items()},
            db_identifier=self.database.instance.identifier,
        )
        self._outputs()

    def _service(self, spec: Service) -> FargateService:
        config, load_balancer = self.config, self.edge.load_balancer
        target_group = load_balancer.target_groups[spec.name]
        repository = self.registry.repositories[spec.name]
        wiring = ServiceWiring(
            cluster_arn=self.compute.cluster.arn,
            cluster_name=self.compute.cluster.name,
            namespace_arn=self.compute.namespace.arn,
            subnet_ids=tuple(s.id for s in self.network.app_subnets),
            security_group_ids=(self.security.app.id,),
            load_balancer_arn_suffix=load_balancer.alb.arn_suffix,
            target_group_arn=target_group.arn,
            target_group_arn_suffix=target_group.arn_suffix,
            repository_arn=repository.arn,
            repository_url=repository.repository_url,
            secret_arn=self.database.secrets[spec.name].arn,
            db_init=DatabaseInit(
                image=self.cache.postgres_image,
                host=self.database.instance.address,
                master_secret_arn=self.database.instance.master_user_secret.get(0).secret_arn,
                pull_statement=self.cache.pull_statement,
            ),
            depends_on=(load_balancer.listener,),
        )
        # In the `compute` scope, where the services' resources have always been (addresses).
        return FargateService(
            self.compute,
            spec,
            wiring,
            names=config.names,
            region=config.region,
            sizing=config.sizing[spec.name],
            image_tag=self.image_tag.string_value,
            log_retention_days=config.log_retention_days,
            capacity=capacity_strategy(config.fargate_spot),
            trusted_proxies=config.vpc_cidr,
            additions=self._additions(spec),
        )

    def _additions(self, spec: Service) -> TaskAdditions:
        """What the optional operations features add to this service's task."""
        config = self.config
        tracing = tracing_additions(
            config,
            registry_host=self.registry.host(config.region),
            log_group=config.names.log_group(spec.name),
            log_stream_prefix=short_name(spec.name),
        )
        return (
            exec_additions(self.exec_sessions)
            + tracing
            + replica_additions(spec, self.read_replica)
        )

    def _outputs(self) -> None:
        def out(name: str, value: str, description: str) -> None:
            TerraformOutput(self, name, value=value, description=description)

        distribution = self.edge.cdn.distribution
        out("cloudfront_domain", distribution.domain_name, "The site and API")
        out("cloudfront_distribution_id", distribution.id, "For invalidations")
        out(
            "alb_dns_name",
            self.edge.load_balancer.alb.dns_name,
            "Load balancer (admits CloudFront only)",
        )
        out("site_bucket", self.edge.site.bucket.bucket, "Where the web front end is published")
        out("cluster_name", self.compute.cluster.name, "ECS cluster")
        out("cluster_arn", self.compute.cluster.arn, "What ecs:ExecuteCommand grants name")
        if self.exec_sessions:
            sessions = self.exec_sessions
            out("exec_session_log_group", sessions.log_group.name, "ECS Exec session logs")
            out("exec_session_key_arn", sessions.key.arn, "Operators need kms:GenerateDataKey")
        if self.read_replica:
            out("db_read_replica_address", self.read_replica.instance.address, "Read replica")
        for name, repo in self.registry.repositories.items():
            short = short_name(name)
            out(f"ecr_{short}_url", repo.repository_url, f"ECR repository of {name}")
            out(f"{short}_service_name", self.services[name].service.name, f"ECS service {name}")
