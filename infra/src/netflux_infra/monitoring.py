"""CloudWatch alarms on what users feel: 5xx answers, unhealthy targets, a strained database."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from constructs import Construct

from netflux_infra.config import EnvironmentConfig
from netflux_infra.database import Database
from netflux_infra.edge import Edge


class Monitoring(Construct):
    def __init__(
        self, scope: Construct, id_: str, config: EnvironmentConfig, edge: Edge, database: Database
    ) -> None:
        super().__init__(scope, id_)
        prefix = config.prefix
        # Subscribe e-mail or chat to this topic once, by hand or in another stack.
        self.topic = SnsTopic(
            self, "alarms", name=f"{prefix}-alarms", kms_master_key_id="alias/aws/sns"
        )
        actions = [self.topic.arn]

        def alarm(name: str, description: str, **settings: object) -> None:
            CloudwatchMetricAlarm(
                self,
                name,
                alarm_name=f"{prefix}-{name}",
                alarm_description=description,
                alarm_actions=actions,
                ok_actions=actions,
                treat_missing_data="notBreaching",
                **settings,  # type: ignore[arg-type]
            )

        alb = {"LoadBalancer": edge.alb.arn_suffix}
        alarm(
            "alb-5xx",
            "The load balancer or the services answer 5xx",
            namespace="AWS/ApplicationELB",
            metric_name="HTTPCode_Target_5XX_Count",
            dimensions=alb,
            statistic="Sum",
            period=60,
            evaluation_periods=5,
            threshold=10,
            comparison_operator="GreaterThanThreshold",
        )
        alarm(
            "alb-elb-5xx",
            "The load balancer itself answers 5xx (no healthy target, overload)",
            namespace="AWS/ApplicationELB",
            metric_name="HTTPCode_ELB_5XX_Count",
            dimensions=alb,
            statistic="Sum",
            period=60,
            evaluation_periods=5,
            threshold=10,
            comparison_operator="GreaterThanThreshold",
        )
        for service, tg in edge.target_groups.items():
            alarm(
                f"{service}-unhealthy",
                f"{service} has unhealthy targets",
                namespace="AWS/ApplicationELB",
                metric_name="UnHealthyHostCount",
                dimensions={**alb, "TargetGroup": tg.arn_suffix},
                statistic="Maximum",
                period=60,
                evaluation_periods=3,
                threshold=0,
                comparison_operator="GreaterThanThreshold",
            )
        db = {"DBInstanceIdentifier": database.instance.identifier}
        alarm(
            "rds-cpu",
            "Database CPU above 80% for 15 minutes",
            namespace="AWS/RDS",
            metric_name="CPUUtilization",
            dimensions=db,
            statistic="Average",
            period=300,
            evaluation_periods=3,
            threshold=80,
            comparison_operator="GreaterThanThreshold",
        )
        alarm(
            "rds-storage",
            "Database free storage below 2 GiB",
            namespace="AWS/RDS",
            metric_name="FreeStorageSpace",
            dimensions=db,
            statistic="Minimum",
            period=300,
            evaluation_periods=1,
            threshold=2 * 1024**3,
            comparison_operator="LessThanThreshold",
        )
