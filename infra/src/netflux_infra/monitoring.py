"""CloudWatch alarms on what users feel (5xx answers, slow answers, missing tasks) and what
predicts it (unhealthy targets, a strained database), an alarm topic that reaches people, and a
dashboard of the same signals."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
)
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from netflux_infra.config import EnvironmentConfig
from netflux_infra.iam import policy
from netflux_infra.kms import customer_key


class Metric(NamedTuple):
    """One alarm's metric and threshold; the dimensions come with each alarm."""

    namespace: str
    name: str
    statistic: str  # or a percentile such as "p99"
    period: int  # seconds
    evaluation_periods: int
    threshold: float
    alarm_when_above: bool  # else when below


TARGET_5XX = Metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", 60, 5, 10, True)
ELB_5XX = Metric("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", 60, 5, 10, True)
UNHEALTHY = Metric("AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", 60, 3, 0, True)
# Seconds; the services answer in milliseconds, so one second at p99 for 5 minutes is trouble.
LATENCY_P99 = Metric("AWS/ApplicationELB", "TargetResponseTime", "p99", 60, 5, 1.0, True)
RDS_CPU = Metric("AWS/RDS", "CPUUtilization", "Average", 300, 3, 80, True)
RDS_FREE_STORAGE = Metric("AWS/RDS", "FreeStorageSpace", "Minimum", 300, 1, 2 * 1024**3, False)
RDS_CONNECTIONS = Metric("AWS/RDS", "DatabaseConnections", "Maximum", 300, 2, 0, True)

# Memory of the instance classes in use, GiB
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html).
INSTANCE_MEMORY_GIB = {
    "db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8,
    "db.t4g.xlarge": 16, "db.m7g.large": 8, "db.m7g.xlarge": 16, "db.r7g.large": 16,
}  # fmt: skip
# PostgreSQL's default max_connections on RDS is LEAST(DBInstanceClassMemory/9531392, 5000)
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections);
# DBInstanceClassMemory is somewhat below the class's memory, so this errs high; alarming at 80%
# of it leaves headroom either way.
MAX_CONNECTIONS_DIVISOR = 9531392
CONNECTIONS_ALARM_SHARE = 0.8

# Container Insights (enabled on the cluster, compute.py) publishes these per service
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html).
INSIGHTS = "ECS/ContainerInsights"

TOPIC_DOC = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html"
)
SNS_SSE_DOC = (
    "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html"
    "#compatibility-with-aws-services"
)


def connections_threshold(instance_class: str) -> int:
    try:
        memory = INSTANCE_MEMORY_GIB[instance_class]
    except KeyError:
        raise ValueError(
            f"monitoring.INSTANCE_MEMORY_GIB has no entry for {instance_class}: add its memory"
        ) from None
    max_connections = min(memory * 1024**3 // MAX_CONNECTIONS_DIVISOR, 5000)
    return int(max_connections * CONNECTIONS_ALARM_SHARE)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        *,
        account_id: str,
        load_balancer_arn_suffix: str,
        target_group_arn_suffixes: Mapping[str, str],
        cluster_name: str,
        service_names: Mapping[str, str],
        db_identifier: str,
    ) -> None:
        super().__init__(scope, id_)
        names, region = config.names, config.region
        self._names = names
        alarms_arn = f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{names.alarm('*')}"
        # Only CloudWatch alarms of this account and environment may use the key and the topic.
        from_these_alarms = {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": alarms_arn},
        }
        self.topic = self._topic(config, account_id, from_these_alarms)
        for n, address in enumerate(config.alarm_emails):
            # Pending until the address confirms the e-mail AWS sends it.
            SnsTopicSubscription(
                self, f"email-{n}", topic_arn=self.topic.arn, protocol="email", endpoint=address
            )
        self._actions = [self.topic.arn]

        alb = {"LoadBalancer": load_balancer_arn_suffix}
        db = {"DBInstanceIdentifier": db_identifier}
        self._alarm("alb-5xx", "The services answer 5xx", TARGET_5XX, alb)
        self._alarm(
            "alb-elb-5xx",
            "The load balancer itself answers 5xx (no healthy target, overload)",
            ELB_5XX,
            alb,
        )
        for service, target_group in target_group_arn_suffixes.items():
            target = {**alb, "TargetGroup": target_group}
            self._alarm(
                f"{service}-unhealthy", f"{service} has unhealthy targets", UNHEALTHY, target
            )
            self._alarm(
                f"{service}-latency-p99",
                f"{service}: 1% of answers take longer than {LATENCY_P99.threshold:g} s",
                LATENCY_P99,
                target,
            )
        for service, ecs_name in service_names.items():
            self._tasks_missing(service, cluster_name, ecs_name)
        self._alarm("rds-cpu", "Database CPU above 80% for 15 minutes", RDS_CPU, db)
        self._alarm("rds-storage", "Database free storage below 2 GiB", RDS_FREE_STORAGE, db)
        connections = RDS_CONNECTIONS._replace(
            threshold=connections_threshold(config.db_instance_class)
        )
        self._alarm(
            "rds-connections",
            "Database connections near max_connections: new ones will be refused",
            connections,
            db,
        )
        self.dashboard = CloudwatchDashboard(
            self,
            "dashboard",
            dashboard_name=names.dashboard,
            dashboard_body=json.dumps(
                dashboard_body(
                    region,
                    load_balancer_arn_suffix,
                    target_group_arn_suffixes,
                    cluster_name,
                    service_names,
                    db_identifier,
                )
            ),
        )

    def _topic(
        self, config: EnvironmentConfig, account_id: str, from_these_alarms: dict[str, Any]
    ) -> SnsTopic:
        """A topic CloudWatch can publish to. Encrypted topics need a customer-managed key whose
        policy admits CloudWatch: the AWS-managed SNS key's policy cannot be changed, and alarms
        publishing to a topic under it fail silently (TOPIC_DOC, SNS_SSE_DOC)."""
        key = customer_key(
            self,
            "alarms-key",
            config,
            account_id=account_id,
            description=f"Encrypts {config.names.alarm_topic}",
            alias=config.names.alarm_key_alias,
            alias_id="alarms-key-alias",
            service_statements=(
                {
                    "Sid": "CloudWatchAlarmsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",  # in a key policy: this key
                    "Condition": from_these_alarms,
                },
            ),
        )
        topic = SnsTopic(self, "alarms", name=config.names.alarm_topic, kms_master_key_id=key.arn)
        SnsTopicPolicy(
            self,
            "alarms-policy",
            arn=topic.arn,
            policy=policy(
                {
                    "Sid": "CloudWatchAlarmsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic.arn,
                    "Condition": from_these_alarms,
                }
            ),
        )
        return topic

    def _alarm(
        self, name: str, description: str, metric: Metric, dimensions: dict[str, str]
    ) -> None:
        percentile = metric.statistic.startswith("p")
        CloudwatchMetricAlarm(
            self,
            name,
            alarm_name=self._names.alarm(name),
            alarm_description=description,
            namespace=metric.namespace,
            metric_name=metric.name,
            dimensions=dimensions,
            statistic=None if percentile else metric.statistic,
            extended_statistic=metric.statistic if percentile else None,
            period=metric.period,
            evaluation_periods=metric.evaluation_periods,
            threshold=metric.threshold,
            comparison_operator=(
                "GreaterThanThreshold" if metric.alarm_when_above else "LessThanThreshold"
            ),
            alarm_actions=self._actions,
            ok_actions=self._actions,
            treat_missing_data="notBreaching",
        )

    def _tasks_missing(self, service: str, cluster_name: str, ecs_name: str) -> None:
        """Fewer tasks run than the service wants, for 5 minutes: tasks crash, cannot pull their
        image, or Fargate (Spot) has no capacity. Deployments and scale-outs close the gap in
        well under 5 minutes."""
        dimensions = {"ClusterName": cluster_name, "ServiceName": ecs_name}

        def metric(id_: str, name: str, stat: str) -> CloudwatchMetricAlarmMetricQuery:
            return CloudwatchMetricAlarmMetricQuery(
                id=id_,
                metric={
                    "namespace": INSIGHTS,
                    "metric_name": name,
                    "dimensions": dimensions,
                    "period": 60,
                    "stat": stat,
                },
            )

        CloudwatchMetricAlarm(
            self,
            f"{service}-tasks-missing",
            alarm_name=self._names.alarm(f"{service}-tasks-missing"),
            alarm_description=f"{service} runs fewer tasks than desired for 5 minutes",
            metric_query=[
                metric("running", "RunningTaskCount", "Minimum"),
                metric("desired", "DesiredTaskCount", "Maximum"),
                CloudwatchMetricAlarmMetricQuery(
                    id="missing",
                    expression="desired - running",
                    label="tasks missing",
                    return_data=True,
                ),
            ],
            evaluation_periods=5,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            alarm_actions=self._actions,
            ok_actions=self._actions,
            treat_missing_data="notBreaching",
        )


def dashboard_body(
    region: str,
    load_balancer: str,
    target_groups: Mapping[str, str],
    cluster_name: str,
    service_names: Mapping[str, str],
    db_identifier: str,
) -> dict[str, Any]:
    """One row of widgets per question: how fast, how many errors, how many tasks, how busy,
    how many database connections (widget syntax:
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html)."""
    elb = "AWS/ApplicationELB"

    def widget(
        n: int, title: str, metrics: list[list[Any]], stat: str = "Average"
    ) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": (n % 2) * 12,
            "y": (n // 2) * 6,
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": region,
                "view": "timeSeries",
                "stat": stat,
                "period": 60,
                "metrics": metrics,
            },
        }

    def per_service(namespace: str, metric: str, **options: str) -> list[list[Any]]:
        return [
            [namespace, metric, "ClusterName", cluster_name, "ServiceName", ecs_name,
             {"label": f"{service} {metric}", **options}]
            for service, ecs_name in service_names.items()
        ]  # fmt: skip

    latency = [
        [elb, "TargetResponseTime", "LoadBalancer", load_balancer, "TargetGroup", tg,
         {"stat": stat, "label": f"{service} {stat}"}]
        for service, tg in target_groups.items()
        for stat in ("p50", "p99")
    ]  # fmt: skip
    errors: list[list[Any]] = [
        [elb, "HTTPCode_ELB_5XX_Count", "LoadBalancer", load_balancer,
         {"label": "load balancer 5xx"}],
        *(
            [elb, "HTTPCode_Target_5XX_Count", "LoadBalancer", load_balancer, "TargetGroup", tg,
             {"label": f"{service} 5xx"}]
            for service, tg in target_groups.items()
        ),
    ]  # fmt: skip
    tasks = [
        *per_service(INSIGHTS, "RunningTaskCount"),
        *per_service(INSIGHTS, "DesiredTaskCount"),
    ]
    usage = [
        *per_service("AWS/ECS", "CPUUtilization"),
        *per_service("AWS/ECS", "MemoryUtilization"),
    ]
    database: list[list[Any]] = [
        ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", db_identifier],
        ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", db_identifier, {"yAxis": "right"}],
    ]
    return {
        "widgets": [
            widget(0, "Latency (target response time, s)", latency),
            widget(1, "5xx answers", errors, stat="Sum"),
            widget(2, "Tasks running / desired", tasks),
            widget(3, "CPU and memory per service (%)", usage),
            widget(4, "Database connections (and CPU %)", database, stat="Maximum"),
        ]
    }
