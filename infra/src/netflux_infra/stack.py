"""One environment's whole topology as one Terraform stack."""

from __future__ import annotations

from cdktf import Fn, LocalBackend, S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from netflux_infra.compute import Compute
from netflux_infra.config import EnvironmentConfig, StateBackend
from netflux_infra.database import Database
from netflux_infra.dbinit import DatabaseInit
from netflux_infra.edge import Edge
from netflux_infra.emulator import emulator_provider_settings
from netflux_infra.monitoring import Monitoring
from netflux_infra.network import Network
from netflux_infra.registry import Registry
from netflux_infra.security import SecurityGroups


def aws_provider(stack: TerraformStack, region: str, environment: str) -> AwsProvider:
    """The AWS provider; every resource carries these tags."""
    tags = {"Project": "netflux", "Environment": environment, "ManagedBy": "cdktf"}
    return AwsProvider(
        stack,
        "aws",
        region=region,
        default_tags=[AwsProviderDefaultTags(tags=tags)],
        **emulator_provider_settings(),  # empty unless rehearsing against an emulator
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


class NetfluxStack(TerraformStack):
    def __init__(self, scope: Construct, id_: str, config: EnvironmentConfig) -> None:
        super().__init__(scope, id_)
        self.config = config
        aws_provider(self, config.region, config.name)
        configure_backend(self, id_, config.state, config.name, config.region)

        self.network = Network(self, "network", config)
        self.security = SecurityGroups(self, "security", config, self.network)
        self.edge = Edge(self, "edge", config, self.network, self.security)
        self.database = Database(self, "database", config, self.network, self.security)
        self.registry = Registry(self, "registry", config)
        self.compute = Compute(
            self, "compute", config, self.network, self.security, self.edge, self.database,
            self.registry,
        )  # fmt: skip
        self.db_init = DatabaseInit(self, "db-init", config, self.database, self.registry)
        Monitoring(self, "monitoring", config, self.edge, self.database)
        self._outputs()

    def _outputs(self) -> None:
        def out(name: str, value: str, description: str) -> None:
            TerraformOutput(self, name, value=value, description=description)

        out("cloudfront_domain", self.edge.distribution.domain_name, "The site and API")
        out("cloudfront_distribution_id", self.edge.distribution.id, "For invalidations")
        out("alb_dns_name", self.edge.alb.dns_name, "Load balancer (admits CloudFront only)")
        out("site_bucket", self.edge.site.bucket, "Where the web front end is published")
        out("cluster_name", self.compute.cluster.name, "ECS cluster")
        out("db_init_task", self.db_init.task.family, "One-off task applying init.sql")
        out(
            "app_subnets",
            Fn.join(",", [s.id for s in self.network.app_subnets]),
            "Where one-off tasks run",
        )
        out("app_security_group", self.security.app.id, "Security group for one-off tasks")
        for name, repo in self.registry.repositories.items():
            short = name.removesuffix("-service")
            out(f"ecr_{short}_url", repo.repository_url, f"ECR repository of {name}")
            out(f"{short}_service_name", self.compute.services[name].name, f"ECS service {name}")
