"""ECS on Fargate: cluster, Service Connect namespace, task definitions, services, auto scaling."""

from __future__ import annotations

import json
from typing import Any

from cdktf_cdktf_provider_aws.appautoscaling_policy import AppautoscalingPolicy
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import EcsClusterCapacityProviders
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceCapacityProviderStrategy,
    EcsServiceLoadBalancer,
    EcsServiceServiceConnectConfigurationService,
    EcsServiceServiceConnectConfigurationServiceClientAlias,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.service_discovery_http_namespace import (
    ServiceDiscoveryHttpNamespace,
)
from constructs import Construct

from netflux_infra.config import EnvironmentConfig, ServiceSizing
from netflux_infra.database import Database
from netflux_infra.edge import Edge
from netflux_infra.iam import assume_role, task_execution_role
from netflux_infra.network import Network
from netflux_infra.registry import Registry
from netflux_infra.security import SecurityGroups
from netflux_infra.services import (
    CONTAINER_PORT,
    DATABASE_NAME,
    HEALTH_PATH,
    PORT_NAME,
    SECRET_KEYS,
    SERVICES,
    ServiceSpec,
)

# The image's HEALTHCHECK, repeated for ECS (it ignores Docker's): python is all the image has.
HEALTH_COMMAND = (
    'python3 -c "import urllib.request; '
    f"urllib.request.urlopen('http://127.0.0.1:{CONTAINER_PORT}{HEALTH_PATH}', timeout=2)\""
)


def sizing(config: EnvironmentConfig, spec: ServiceSpec) -> ServiceSizing:
    sizes: ServiceSizing = getattr(config, spec.short)
    return sizes


class Compute(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        network: Network,
        security: SecurityGroups,
        edge: Edge,
        database: Database,
        registry: Registry,
    ) -> None:
        super().__init__(scope, id_)
        prefix = config.prefix
        self.namespace = ServiceDiscoveryHttpNamespace(
            self, "namespace", name=prefix, description=f"Service Connect for {prefix}"
        )
        self.cluster = EcsCluster(
            self,
            "cluster",
            name=prefix,
            setting=[EcsClusterSetting(name="containerInsights", value="enabled")],
            service_connect_defaults={"namespace": self.namespace.arn},
        )
        EcsClusterCapacityProviders(
            self,
            "capacity",
            cluster_name=self.cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
        )

        self.services: dict[str, EcsService] = {}
        self.task_definitions: dict[str, EcsTaskDefinition] = {}
        for spec in SERVICES:
            log_group = CloudwatchLogGroup(
                self,
                f"logs-{spec.short}",
                name=f"/ecs/{prefix}/{spec.name}",
                retention_in_days=config.log_retention_days,
            )
            repo = registry.repositories[spec.name]
            secret = database.secrets[spec.name]
            execution_role = task_execution_role(
                self,
                f"-{spec.short}",
                name=f"{prefix}-{spec.short}-execution",
                repositories=[repo.arn],
                log_group_arn=log_group.arn,
                secrets=[secret.arn],
            )
            # The application calls no AWS API: its task role grants nothing.
            task_role = IamRole(
                self,
                f"task-role-{spec.short}",
                name=f"{prefix}-{spec.short}-task",
                assume_role_policy=assume_role("ecs-tasks.amazonaws.com"),
            )
            sizes = sizing(config, spec)
            container = {
                "name": spec.name,
                "image": f"{repo.repository_url}:{config.image_tag}",
                "essential": True,
                "readonlyRootFilesystem": True,
                "portMappings": [
                    {
                        "name": PORT_NAME,
                        "containerPort": CONTAINER_PORT,
                        "protocol": "tcp",
                        "appProtocol": "http",
                    }
                ],
                "environment": [
                    {"name": k, "value": v}
                    for k, v in sorted(
                        {
                            "PORT": str(CONTAINER_PORT),
                            "DB_NAME": DATABASE_NAME,
                            "LOG_LEVEL": "INFO",
                            **spec.environment,
                        }.items()
                    )
                ],
                "secrets": [
                    {"name": var, "valueFrom": f"{secret.arn}:{key}::"}
                    for var, key in SECRET_KEYS.items()
                ],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": log_group.name,
                        "awslogs-region": config.region,
                        "awslogs-stream-prefix": spec.short,
                    },
                },
                "healthCheck": {
                    "command": ["CMD-SHELL", HEALTH_COMMAND],
                    "interval": 15,
                    "timeout": 5,
                    "retries": 3,
                    "startPeriod": 30,
                },
                "stopTimeout": 30,  # SIGTERM, then 30 s to drain, then SIGKILL
            }
            task = EcsTaskDefinition(
                self,
                f"task-{spec.short}",
                family=f"{prefix}-{spec.name}",
                network_mode="awsvpc",
                requires_compatibilities=["FARGATE"],
                cpu=str(sizes.cpu),
                memory=str(sizes.memory),
                runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
                execution_role_arn=execution_role.arn,
                task_role_arn=task_role.arn,
                container_definitions=json.dumps([container]),
            )
            self.task_definitions[spec.name] = task
            service = self._service(config, spec, task, network, security, edge, sizes)
            self.services[spec.name] = service
            self._autoscaling(config, spec, service, edge, sizes)

    def _service(
        self,
        config: EnvironmentConfig,
        spec: ServiceSpec,
        task: EcsTaskDefinition,
        network: Network,
        security: SecurityGroups,
        edge: Edge,
        sizes: ServiceSizing,
    ) -> EcsService:
        connect: dict[str, Any] = {"enabled": True, "namespace": self.namespace.arn}
        if spec.discoverable:
            # Other tasks reach it as http://movie-service:8080 through their Service Connect proxy.
            connect["service"] = [
                EcsServiceServiceConnectConfigurationService(
                    port_name=PORT_NAME,
                    discovery_name=spec.name,
                    client_alias=EcsServiceServiceConnectConfigurationServiceClientAlias(
                        port=CONTAINER_PORT, dns_name=spec.name
                    ),
                )
            ]
        capacity = "FARGATE_SPOT" if config.fargate_spot else "FARGATE"
        return EcsService(
            self,
            f"service-{spec.short}",
            name=spec.name,
            cluster=self.cluster.arn,
            task_definition=task.arn,
            desired_count=sizes.desired_count,
            capacity_provider_strategy=[
                EcsServiceCapacityProviderStrategy(capacity_provider=capacity, weight=1)
            ],
            platform_version="LATEST",
            network_configuration={
                "subnets": [s.id for s in network.app_subnets],
                "security_groups": [security.app.id],
                "assign_public_ip": False,
            },
            load_balancer=[
                EcsServiceLoadBalancer(
                    target_group_arn=edge.target_groups[spec.name].arn,
                    container_name=spec.name,
                    container_port=CONTAINER_PORT,
                )
            ],
            health_check_grace_period_seconds=60,
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            # A release whose tasks never get healthy is stopped and the last good one restored.
            deployment_circuit_breaker={"enable": True, "rollback": True},
            service_connect_configuration=connect,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            depends_on=[edge.listener],
            # Auto scaling owns the count and the pipeline owns the running revision.
            lifecycle={"ignore_changes": ["desired_count", "task_definition"]},
        )

    def _autoscaling(
        self,
        config: EnvironmentConfig,
        spec: ServiceSpec,
        service: EcsService,
        edge: Edge,
        sizes: ServiceSizing,
    ) -> None:
        target = AppautoscalingTarget(
            self,
            f"scaling-{spec.short}",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{self.cluster.name}/{service.name}",
            min_capacity=sizes.min_count,
            max_capacity=sizes.max_count,
        )

        def track(name: str, target_value: float, metric: dict[str, str]) -> None:
            AppautoscalingPolicy(
                self,
                f"scale-{name}-{spec.short}",
                name=f"{config.prefix}-{spec.short}-{name}",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                policy_type="TargetTrackingScaling",
                target_tracking_scaling_policy_configuration={
                    "target_value": target_value,
                    "predefined_metric_specification": metric,
                    "scale_in_cooldown": 120,  # shrink slowly, grow fast
                    "scale_out_cooldown": 60,
                },
            )

        track("cpu", 60, {"predefined_metric_type": "ECSServiceAverageCPUUtilization"})
        tg = edge.target_groups[spec.name]
        track(
            "requests",
            500,  # requests per task per minute
            {
                "predefined_metric_type": "ALBRequestCountPerTarget",
                "resource_label": f"{edge.alb.arn_suffix}/{tg.arn_suffix}",
            },
        )
