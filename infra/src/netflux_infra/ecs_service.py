"""One service on ECS Fargate: task definition, roles, log group, service, load-balancer
attachment, auto scaling. Shaped like terraform-aws-modules/ecs's `modules/service`: it takes
ids and ARNs (a `ServiceWiring`), not the constructs that own them.

Its resources go into the scope it is given instead of a construct of its own: cdktf derives a
Terraform address from the construct path, and these resources have always lived directly in
the environment's `compute` construct. A new nesting level would rename every address, and
Terraform would replace the services.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.appautoscaling_policy import AppautoscalingPolicy
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceCapacityProviderStrategy,
    EcsServiceLoadBalancer,
    EcsServiceServiceConnectConfigurationService,
    EcsServiceServiceConnectConfigurationServiceClientAlias,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from netflux_catalogue import CONTAINER_PORT, PORT_NAME, Service
from netflux_infra.config import ServiceSizing
from netflux_infra.container import callee_environment, container_definition
from netflux_infra.dbinit import CONTAINER_NAME as DB_INIT
from netflux_infra.dbinit import DatabaseInit
from netflux_infra.iam import assume_role, policy, statement, task_execution_role
from netflux_infra.naming import EnvironmentNames, short_name
from netflux_infra.task_additions import NOTHING, TaskAdditions

# Seconds from a task's start until failed load balancer health checks count.
HEALTH_CHECK_GRACE_SECONDS = 300


@dataclass(frozen=True)
class ServiceWiring:
    """What one service takes from the rest of its environment."""

    cluster_arn: str
    cluster_name: str
    namespace_arn: str  # Service Connect
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    load_balancer_arn_suffix: str  # the request-count scaling metric's dimension
    target_group_arn: str
    target_group_arn_suffix: str
    repository_arn: str
    repository_url: str
    secret_arn: str  # the service's database login
    db_init: DatabaseInit  # the init container that prepares the database first
    # ECS accepts a target group only once a load balancer uses it: create the service after
    # the listener.
    depends_on: tuple[ITerraformDependable, ...] = ()


def capacity_strategy(fargate_spot: bool) -> list[EcsServiceCapacityProviderStrategy]:
    """On-demand Fargate, or Spot with one on-demand task as the base: when Spot has no capacity
    (or reclaims every task at once) the service still runs one task. `base` tasks are placed on
    their provider first; weights share the rest, so weight 0 keeps on-demand at the base
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html)."""
    if not fargate_spot:
        return [EcsServiceCapacityProviderStrategy(capacity_provider="FARGATE", weight=1)]
    return [
        EcsServiceCapacityProviderStrategy(capacity_provider="FARGATE", base=1, weight=0),
        EcsServiceCapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1),
    ]


class FargateService:
    def __init__(
        self,
        scope: Construct,
        spec: Service,
        wiring: ServiceWiring,
        *,
        names: EnvironmentNames,
        region: str,
        sizing: ServiceSizing,
        image_tag: str,
        log_retention_days: int,
        capacity: Sequence[EcsServiceCapacityProviderStrategy],
        trusted_proxies: str,
        additions: TaskAdditions = NOTHING,  # optional features: task_additions.py
    ) -> None:
        short = short_name(spec.name)
        self.log_group = CloudwatchLogGroup(
            scope,
            f"logs-{short}",
            name=names.log_group(spec.name),
            retention_in_days=log_retention_days,
        )
        self.execution_role = task_execution_role(
            scope,
            f"-{short}",
            name=names.execution_role(spec.name),
            repositories=[wiring.repository_arn, *additions.pull_repositories],
            log_group_arn=self.log_group.arn,
            # The master secret for the init container; only its own service secret.
            secrets=[wiring.secret_arn, wiring.db_init.master_secret_arn],
            extra_statements=[
                wiring.db_init.pull_statement,
                *(
                    [statement(additions.pull_actions, additions.pull_repositories)]
                    if additions.pull_actions
                    else []
                ),
            ],
        )
        # The application calls no AWS API: its task role grants only what features add.
        self.task_role = IamRole(
            scope,
            f"task-role-{short}",
            name=names.task_role(spec.name),
            assume_role_policy=assume_role("ecs-tasks.amazonaws.com"),
        )
        if additions.task_role_statements:
            IamRolePolicy(
                scope,
                f"task-policy-{short}",
                role=self.task_role.id,
                policy=policy(*(dict(s) for s in additions.task_role_statements)),
            )
        container = container_definition(
            name=spec.name,
            image=f"{wiring.repository_url}:{image_tag}",
            # Only the load balancer (inside the VPC) may tell the service who the client was.
            environment=callee_environment(spec)
            | {"FORWARDED_ALLOW_IPS": trusted_proxies}
            | dict(additions.environment),
            secret_arn=wiring.secret_arn,
            log_group=self.log_group.name,
            log_stream_prefix=short,
            region=region,
            starts_after=DB_INIT,
        ) | dict(additions.container_settings)
        db_init = wiring.db_init.container(
            spec,
            service_secret_arn=wiring.secret_arn,
            log_group=self.log_group.name,
            log_stream_prefix=short,
            region=region,
        )
        self.task_definition = EcsTaskDefinition(
            scope,
            f"task-{short}",
            family=names.task_family(spec.name),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            cpu=str(sizing.cpu),
            memory=str(sizing.memory),
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            container_definitions=json.dumps([db_init, container, *additions.sidecars]),
        )
        self.service = self._service(scope, spec, wiring, names, sizing, capacity)
        if additions.enable_execute_command:
            self.service.enable_execute_command = True
        self._autoscaling(scope, spec, wiring, names, sizing)

    def _service(
        self,
        scope: Construct,
        spec: Service,
        wiring: ServiceWiring,
        names: EnvironmentNames,
        sizing: ServiceSizing,
        capacity: Sequence[EcsServiceCapacityProviderStrategy],
    ) -> EcsService:
        connect: dict[str, Any] = {"enabled": True, "namespace": wiring.namespace_arn}
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
        return EcsService(
            scope,
            f"service-{short_name(spec.name)}",
            name=names.ecs_service(spec.name),
            cluster=wiring.cluster_arn,
            task_definition=self.task_definition.arn,
            desired_count=sizing.desired_count,
            capacity_provider_strategy=list(capacity),
            platform_version="LATEST",
            network_configuration={
                "subnets": list(wiring.subnet_ids),
                "security_groups": list(wiring.security_group_ids),
                "assign_public_ip": False,
            },
            load_balancer=[
                EcsServiceLoadBalancer(
                    target_group_arn=wiring.target_group_arn,
                    container_name=spec.name,
                    container_port=CONTAINER_PORT,
                )
            ],
            # Load balancer health checks count only after this: the init container (image pull
            # through the cache, init.sql), the service's start and three passing checks 30 s
            # apart must fit (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_definition_parameters.html).
            health_check_grace_period_seconds=HEALTH_CHECK_GRACE_SECONDS,
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            # A release whose tasks never get healthy is stopped and the last good one restored.
            deployment_circuit_breaker={"enable": True, "rollback": True},
            service_connect_configuration=connect,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            depends_on=list(wiring.depends_on) or None,
            # `apply` returns only once the service is stable, so `make deploy` fails on a
            # release that never gets healthy (the circuit breaker rolls it back meanwhile).
            wait_for_steady_state=True,
            # Auto scaling owns the count. Terraform owns the task definition: a change in
            # infra/ reaches the tasks on the next apply (docs/deploy.md, "Delivery").
            lifecycle={"ignore_changes": ["desired_count"]},
        )

    def _autoscaling(
        self,
        scope: Construct,
        spec: Service,
        wiring: ServiceWiring,
        names: EnvironmentNames,
        sizing: ServiceSizing,
    ) -> None:
        short = short_name(spec.name)
        target = AppautoscalingTarget(
            scope,
            f"scaling-{short}",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{wiring.cluster_name}/{self.service.name}",
            min_capacity=sizing.min_count,
            max_capacity=sizing.max_count,
        )

        def track(metric_name: str, target_value: float, metric: dict[str, str]) -> None:
            AppautoscalingPolicy(
                scope,
                f"scale-{metric_name}-{short}",
                name=names.scaling_policy(spec.name, metric_name),
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
        track(
            "requests",
            500,  # requests per task per minute
            {
                "predefined_metric_type": "ALBRequestCountPerTarget",
                "resource_label": (
                    f"{wiring.load_balancer_arn_suffix}/{wiring.target_group_arn_suffix}"
                ),
            },
        )
