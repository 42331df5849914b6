"""The deployed environment, read back from the emulator's APIs (never from the synthesized JSON):
what a real ECS, ALB and CloudFront would act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netflux_infra_testing.fargate.aws import Emulator


@dataclass(frozen=True)
class EcsService:
    name: str
    arn: str
    cluster_arn: str
    task_definition: dict[str, Any]  # DescribeTaskDefinition's taskDefinition
    desired_count: int
    load_balancers: tuple[dict[str, Any], ...]  # targetGroupArn, containerName, containerPort
    service_connect: dict[str, Any] | None  # the deployment's serviceConnectConfiguration
    deployment_configuration: dict[str, Any]
    health_check_grace_seconds: int


@dataclass(frozen=True)
class TargetGroup:
    arn: str
    name: str
    health_path: str
    matcher: str
    interval: int
    timeout: int
    healthy_threshold: int
    unhealthy_threshold: int
    deregistration_delay: int


@dataclass(frozen=True)
class ListenerRule:
    priority: int  # the default action sorts last
    conditions: tuple[dict[str, Any], ...]
    action: dict[str, Any]  # the first (terminal) action


@dataclass(frozen=True)
class Origin:
    id: str
    domain: str
    path: str
    custom_headers: dict[str, str]
    s3: bool


@dataclass(frozen=True)
class Behaviour:
    path_pattern: str  # "*" for the default behaviour
    origin_id: str
    allowed_methods: tuple[str, ...]


@dataclass(frozen=True)
class Distribution:
    domain: str
    default_root_object: str
    origins: dict[str, Origin]
    behaviours: tuple[Behaviour, ...]  # in CloudFront's evaluation order, the default last


@dataclass(frozen=True)
class Database:
    identifier: str
    host: str
    port: int
    name: str | None
    master_username: str
    master_secret_arn: str | None


@dataclass(frozen=True)
class Environment:
    prefix: str
    cluster_arn: str
    services: dict[str, EcsService]
    one_off_tasks: dict[str, dict[str, Any]]  # task families no service runs (db-init)
    database: Database
    target_groups: dict[str, TargetGroup]
    listener_rules: tuple[ListenerRule, ...]  # in priority order, the default action last
    distribution: Distribution | None
    pull_through_prefixes: dict[str, str] = field(default_factory=dict)  # prefix -> upstream


def read_environment(aws: Emulator, prefix: str) -> Environment:
    ecs = aws.client("ecs")
    [cluster_arn] = [a for a in ecs.list_clusters()["clusterArns"] if a.endswith(f"/{prefix}")]
    services = _services(aws, cluster_arn)
    used = {s.task_definition["family"] for s in services.values()}
    one_off = {}
    for family in ecs.list_task_definition_families(familyPrefix=prefix, status="ACTIVE")[
        "families"
    ]:
        if family not in used:
            one_off[family] = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    target_groups, rules = _load_balancer(aws, prefix)
    return Environment(
        prefix=prefix,
        cluster_arn=cluster_arn,
        services=services,
        one_off_tasks=one_off,
        database=_database(aws, prefix),
        target_groups=target_groups,
        listener_rules=rules,
        distribution=_distribution(aws, prefix),
        pull_through_prefixes={
            r["ecrRepositoryPrefix"]: r["upstreamRegistryUrl"]
            for r in aws.client("ecr").describe_pull_through_cache_rules()["pullThroughCacheRules"]
        },
    )


def read_service(aws: Emulator, cluster_arn: str, name: str) -> EcsService:
    ecs = aws.client("ecs")
    [raw] = ecs.describe_services(cluster=cluster_arn, services=[name])["services"]
    return _service(aws, cluster_arn, raw)


def _services(aws: Emulator, cluster_arn: str) -> dict[str, EcsService]:
    ecs = aws.client("ecs")
    arns = ecs.list_services(cluster=cluster_arn)["serviceArns"]
    described = (
        ecs.describe_services(cluster=cluster_arn, services=arns)["services"] if arns else []
    )
    return {raw["serviceName"]: _service(aws, cluster_arn, raw) for raw in described}


def _service(aws: Emulator, cluster_arn: str, raw: dict[str, Any]) -> EcsService:
    task = aws.client("ecs").describe_task_definition(taskDefinition=raw["taskDefinition"])
    primary = next(
        (d for d in raw.get("deployments", []) if d.get("status") == "PRIMARY"),
        (raw.get("deployments") or [{}])[0],
    )
    return EcsService(
        name=raw["serviceName"],
        arn=raw["serviceArn"],
        cluster_arn=cluster_arn,
        task_definition=task["taskDefinition"],
        desired_count=int(raw.get("desiredCount", 1)),
        load_balancers=tuple(raw.get("loadBalancers", [])),
        service_connect=primary.get("serviceConnectConfiguration"),
        deployment_configuration=raw.get("deploymentConfiguration") or {},
        health_check_grace_seconds=int(raw.get("healthCheckGracePeriodSeconds") or 0),
    )


def _load_balancer(
    aws: Emulator, prefix: str
) -> tuple[dict[str, TargetGroup], tuple[ListenerRule, ...]]:
    elbv2 = aws.client("elbv2")
    [alb] = elbv2.describe_load_balancers(Names=[prefix])["LoadBalancers"]
    groups = {}
    for raw in elbv2.describe_target_groups(LoadBalancerArn=alb["LoadBalancerArn"])["TargetGroups"]:
        attributes = {
            a["Key"]: a["Value"]
            for a in elbv2.describe_target_group_attributes(TargetGroupArn=raw["TargetGroupArn"])[
                "Attributes"
            ]
        }
        groups[raw["TargetGroupArn"]] = TargetGroup(
            arn=raw["TargetGroupArn"],
            name=raw["TargetGroupName"],
            health_path=raw.get("HealthCheckPath", "/"),
            matcher=raw.get("Matcher", {}).get("HttpCode", "200"),
            interval=int(raw.get("HealthCheckIntervalSeconds", 30)),
            timeout=int(raw.get("HealthCheckTimeoutSeconds", 5)),
            healthy_threshold=int(raw.get("HealthyThresholdCount", 5)),
            unhealthy_threshold=int(raw.get("UnhealthyThresholdCount", 2)),
            deregistration_delay=int(attributes.get("deregistration_delay.timeout_seconds", 300)),
        )
    [listener] = elbv2.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
    rules = []
    for raw in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
        actions = sorted(raw["Actions"], key=lambda a: int(a.get("Order", 1)))
        priority = 1 << 30 if raw.get("IsDefault") else int(raw["Priority"])
        rules.append(ListenerRule(priority, tuple(raw.get("Conditions", [])), actions[-1]))
    return groups, tuple(sorted(rules, key=lambda r: r.priority))


def _database(aws: Emulator, prefix: str) -> Database:
    [db] = aws.client("rds").describe_db_instances(DBInstanceIdentifier=prefix)["DBInstances"]
    return Database(
        identifier=db["DBInstanceIdentifier"],
        host=db["Endpoint"]["Address"],
        port=int(db["Endpoint"]["Port"]),
        name=db.get("DBName"),
        master_username=db["MasterUsername"],
        master_secret_arn=(db.get("MasterUserSecret") or {}).get("SecretArn"),
    )


def _distribution(aws: Emulator, prefix: str) -> Distribution | None:
    cloudfront = aws.client("cloudfront")
    items = cloudfront.list_distributions()["DistributionList"].get("Items", [])
    mine = [d for d in items if prefix in (d.get("Comment") or "")] or items
    if not mine:
        return None
    config = cloudfront.get_distribution_config(Id=mine[0]["Id"])["DistributionConfig"]
    origins = {}
    for raw in config["Origins"].get("Items", []):
        headers = {
            h["HeaderName"]: h["HeaderValue"] for h in raw.get("CustomHeaders", {}).get("Items", [])
        }
        origins[raw["Id"]] = Origin(
            id=raw["Id"],
            domain=raw["DomainName"],
            path=raw.get("OriginPath", ""),
            custom_headers=headers,
            s3="CustomOriginConfig" not in raw or ".s3." in raw["DomainName"],
        )

    def behaviour(raw: dict[str, Any], pattern: str) -> Behaviour:
        methods = tuple(raw.get("AllowedMethods", {}).get("Items", ["GET", "HEAD"]))
        return Behaviour(pattern, raw["TargetOriginId"], methods)

    ordered = [
        behaviour(raw, raw["PathPattern"])
        for raw in config.get("CacheBehaviors", {}).get("Items", [])
    ]
    return Distribution(
        domain=mine[0]["DomainName"],
        default_root_object=config.get("DefaultRootObject", ""),
        origins=origins,
        behaviours=(*ordered, behaviour(config["DefaultCacheBehavior"], "*")),
    )
