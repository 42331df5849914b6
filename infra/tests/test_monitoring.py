"""Alarms reach people: a topic CloudWatch can publish to, alarms on what users feel, RDS logs
kept for a set time, and a dashboard of the same signals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from netflux_infra.config import ENVIRONMENTS, EnvironmentConfig
from netflux_infra.monitoring import connections_threshold
from netflux_infra_testing.synthesized import Stack

ACCOUNT = "${aws_vpc.network_vpc_"  # the account id comes from the VPC's owner_id


def alarms(stack: Stack) -> dict[str, dict[str, Any]]:
    return {a["alarm_name"]: a for a in stack.resources("aws_cloudwatch_metric_alarm").values()}


def test_topic_is_encrypted_with_a_rotated_key_that_admits_cloudwatch(stack: Stack) -> None:
    topic = stack.only("aws_sns_topic")
    key = stack.named("aws_kms_key", "monitoring_alarms-key")
    statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}

    assert topic["kms_master_key_id"] == stack.ref("aws_kms_key", "alarms-key", "arn")
    assert "alias/aws/sns" not in json.dumps(stack.json)
    assert key["enable_key_rotation"] is True
    cloudwatch = statements["CloudWatchAlarmsPublish"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert cloudwatch["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Condition"]["StringEquals"]["aws:SourceAccount"].startswith(ACCOUNT)
    prefix = stack.name
    assert cloudwatch["Condition"]["ArnLike"]["aws:SourceArn"].endswith(f":alarm:{prefix}-*")
    # The account keeps administering its key (else nobody could change or delete it).
    root = statements["AccountAdministersThroughIam"]
    assert root["Principal"]["AWS"].endswith(":root")
    assert root["Action"] == "kms:*"


def test_topic_policy_lets_only_this_accounts_alarms_publish(stack: Stack) -> None:
    topic_policy = stack.only("aws_sns_topic_policy")
    [statement] = json.loads(topic_policy["policy"])["Statement"]

    assert topic_policy["arn"] == stack.ref("aws_sns_topic", "alarms", "arn")
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == stack.ref("aws_sns_topic", "alarms", "arn")
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"].startswith(ACCOUNT)
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"].startswith("arn:aws:cloudwatch:")


def test_every_alarm_notifies_the_topic(stack: Stack) -> None:
    topic = stack.ref("aws_sns_topic", "alarms", "arn")
    for alarm in alarms(stack).values():
        assert alarm["alarm_actions"] == alarm["ok_actions"] == [topic], alarm["alarm_name"]


def test_alarms_cover_what_users_feel_and_what_predicts_it(stack: Stack) -> None:
    found = alarms(stack)
    metrics = sorted(a["metric_name"] for a in found.values() if "metric_name" in a)
    p = stack.name

    assert metrics == sorted(
        ["HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"]
        + ["UnHealthyHostCount", "TargetResponseTime"] * 2
        + ["CPUUtilization", "FreeStorageSpace", "DatabaseConnections"]
    )
    for service in ("movie-service", "customer-service"):
        latency = found[f"{p}-{service}-latency-p99"]
        assert latency["extended_statistic"] == "p99"
        assert "statistic" not in latency
        assert set(latency["dimensions"]) == {"LoadBalancer", "TargetGroup"}
    config = ENVIRONMENTS[stack.name.removeprefix("netflux-")]
    connections = found[f"{p}-rds-connections"]
    assert connections["threshold"] == connections_threshold(config.db_instance_class)
    assert 0 < connections["threshold"] < 5000


def test_missing_tasks_alarm_compares_running_with_desired(stack: Stack) -> None:
    found = alarms(stack)
    services = {s["name"]: s for s in stack.resources("aws_ecs_service").values()}

    for name in services:
        alarm = found[f"{stack.name}-{name}-tasks-missing"]
        queries = {q["id"]: q for q in alarm["metric_query"]}
        assert queries["missing"]["expression"] == "desired - running"
        assert queries["missing"]["return_data"] is True
        assert queries["running"]["metric"]["metric_name"] == "RunningTaskCount"
        assert queries["desired"]["metric"]["metric_name"] == "DesiredTaskCount"
        for q in (queries["running"], queries["desired"]):
            assert q["metric"]["namespace"] == "ECS/ContainerInsights"
            assert q["metric"]["dimensions"]["ServiceName"].endswith(".name}")
        assert (alarm["comparison_operator"], alarm["threshold"]) == ("GreaterThanThreshold", 0)


def test_rds_log_groups_exist_before_the_instance_with_a_retention(stack: Stack) -> None:
    config = ENVIRONMENTS[stack.name.removeprefix("netflux-")]
    db = stack.named("aws_db_instance", "database_postgres")
    groups = {
        key: g
        for key, g in stack.resources("aws_cloudwatch_log_group").items()
        if g["name"].startswith("/aws/rds/")
    }

    assert sorted(g["name"] for g in groups.values()) == [
        f"/aws/rds/instance/{config.names.db_instance}/{log}" for log in ("postgresql", "upgrade")
    ]
    assert db["identifier"] == config.names.db_instance
    assert all(g["retention_in_days"] == config.log_retention_days for g in groups.values())
    assert sorted(db["depends_on"]) == sorted(f"aws_cloudwatch_log_group.{k}" for k in groups)
    assert sorted(db["enabled_cloudwatch_logs_exports"]) == ["postgresql", "upgrade"]


def test_dashboard_shows_latency_errors_tasks_usage_and_connections(stack: Stack) -> None:
    body = json.loads(stack.only("aws_cloudwatch_dashboard")["dashboard_body"])
    by_title = {w["properties"]["title"]: w["properties"]["metrics"] for w in body["widgets"]}

    def names(title: str) -> set[str]:
        [metrics] = [m for t, m in by_title.items() if t.startswith(title)]
        return {metric[1] for metric in metrics}

    def stats(title: str) -> set[str]:
        [metrics] = [m for t, m in by_title.items() if t.startswith(title)]
        return {str(m[-1].get("stat")) for m in metrics if isinstance(m[-1], dict)}

    assert names("Latency") == {"TargetResponseTime"}
    assert stats("Latency") == {"p50", "p99"}
    assert names("5xx") == {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"}
    assert names("Tasks") == {"RunningTaskCount", "DesiredTaskCount"}
    assert names("CPU and memory") == {"CPUUtilization", "MemoryUtilization"}
    assert "DatabaseConnections" in names("Database")


def test_email_subscriptions_follow_the_config() -> None:
    from netflux_infra_testing.small_stack import synth_monitoring

    config = EnvironmentConfig(name="x", alarm_emails=("ops@example.org", "dev@example.org"))
    synthesized = synth_monitoring(config)
    subscriptions = synthesized["resource"]["aws_sns_topic_subscription"].values()

    assert sorted((s["protocol"], s["endpoint"]) for s in subscriptions) == [
        ("email", "dev@example.org"),
        ("email", "ops@example.org"),
    ]
    without = synth_monitoring(EnvironmentConfig(name="x"))
    assert "aws_sns_topic_subscription" not in without["resource"]


def test_connections_threshold_needs_a_known_instance_class() -> None:
    assert connections_threshold("db.t4g.micro") == int(1024**3 // 9531392 * 0.8)
    with pytest.raises(ValueError, match="INSTANCE_MEMORY_GIB"):
        connections_threshold("db.x9.huge")
