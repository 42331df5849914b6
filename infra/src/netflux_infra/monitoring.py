"""CloudWatch alarms on what users feel: 5xx answers, unhealthy targets, a strained database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from constructs import Construct

from netflux_infra.naming import EnvironmentNames


class Metric(NamedTuple):
    """One alarm's metric and threshold; the dimensions come with each alarm."""

    namespace: str
    name: str
    statistic: str
    period: int  # seconds
    evaluation_periods: int
    threshold: float
    alarm_when_above: bool  # else when below


TARGET_5XX = Metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", 60, 5, 10, True)
ELB_5XX = Metric("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", 60, 5, 10, True)
UNHEALTHY = Metric("AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", 60, 3, 0, True)
RDS_CPU = Metric("AWS/RDS", "CPUUtilization", "Average", 300, 3, 80, True)
RDS_FREE_STORAGE = Metric("AWS/RDS", "FreeStorageSpace", "Minimum", 300, 1, 2 * 1024**3, False)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        names: EnvironmentNames,
        *,
        load_balancer_arn_suffix: str,
        target_group_arn_suffixes: Mapping[str, str],
        db_identifier: str,
    ) -> None:
        super().__init__(scope, id_)
        prefix = names.prefix
        # Subscribe e-mail or chat to this topic once, by hand or in another stack.
        self.topic = SnsTopic(
            self, "alarms", name=f"{prefix}-alarms", kms_master_key_id="alias/aws/sns"
        )
        actions = [self.topic.arn]

        def alarm(name: str, description: str, metric: Metric, dimensions: dict[str, str]) -> None:
            CloudwatchMetricAlarm(
                self,
                name,
                alarm_name=f"{prefix}-{name}",
                alarm_description=description,
                namespace=metric.namespace,
                metric_name=metric.name,
                dimensions=dimensions,
                statistic=metric.statistic,
                period=metric.period,
                evaluation_periods=metric.evaluation_periods,
                threshold=metric.threshold,
                comparison_operator=(
                    "GreaterThanThreshold" if metric.alarm_when_above else "LessThanThreshold"
                ),
                alarm_actions=actions,
                ok_actions=actions,
                treat_missing_data="notBreaching",
            )

        alb = {"LoadBalancer": load_balancer_arn_suffix}
        db = {"DBInstanceIdentifier": db_identifier}
        alarm("alb-5xx", "The load balancer or the services answer 5xx", TARGET_5XX, alb)
        alarm(
            "alb-elb-5xx",
            "The load balancer itself answers 5xx (no healthy target, overload)",
            ELB_5XX,
            alb,
        )
        for service, target_group in target_group_arn_suffixes.items():
            target = {**alb, "TargetGroup": target_group}
            alarm(f"{service}-unhealthy", f"{service} has unhealthy targets", UNHEALTHY, target)
        alarm("rds-cpu", "Database CPU above 80% for 15 minutes", RDS_CPU, db)
        alarm("rds-storage", "Database free storage below 2 GiB", RDS_FREE_STORAGE, db)
