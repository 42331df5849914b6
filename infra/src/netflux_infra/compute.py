"""The ECS cluster on Fargate and its Service Connect namespace; each service joins it through
`ecs_service.FargateService`, wired up by the environment's stack."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.ecs_cluster import (
    EcsCluster,
    EcsClusterConfiguration,
    EcsClusterSetting,
)
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import EcsClusterCapacityProviders
from cdktf_cdktf_provider_aws.service_discovery_http_namespace import (
    ServiceDiscoveryHttpNamespace,
)
from constructs import Construct

from netflux_infra.naming import EnvironmentNames


class Compute(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        names: EnvironmentNames,
        configuration: EcsClusterConfiguration | None = None,  # ECS Exec sessions: ecs_exec.py
    ) -> None:
        super().__init__(scope, id_)
        prefix = names.prefix
        self.namespace = ServiceDiscoveryHttpNamespace(
            self, "namespace", name=prefix, description=f"Service Connect for {prefix}"
        )
        self.cluster = EcsCluster(
            self,
            "cluster",
            name=names.cluster,
            setting=[EcsClusterSetting(name="containerInsights", value="enabled")],
            service_connect_defaults={"namespace": self.namespace.arn},
            configuration=configuration,
        )
        EcsClusterCapacityProviders(
            self,
            "capacity",
            cluster_name=self.cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
        )
