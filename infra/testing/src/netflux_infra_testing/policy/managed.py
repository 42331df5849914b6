"""Small vendored copies of the AWS-owned policies the stacks rely on.

The stacks attach or imply a few policies AWS owns; they are not in the synthesized JSON, so the
evaluator carries copies of the statements that matter here. A managed policy ARN the stacks
attach that is missing below makes loading fail (`UnknownManagedPolicy`), never a silent pass.
"""

from __future__ import annotations

from typing import Any

from netflux_infra_testing.policy.references import ACCOUNT


class UnknownManagedPolicy(KeyError):
    pass


# https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonRDSEnhancedMonitoringRole.html
RDS_ENHANCED_MONITORING: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "EnableCreationAndManagementOfRDSCloudwatchLogGroups",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
            "Resource": ["arn:aws:logs:*:*:log-group:RDS*"],
        },
        {
            "Sid": "EnableCreationAndManagementOfRDSCloudwatchLogStreams",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
                "logs:GetLogEvents",
            ],
            "Resource": ["arn:aws:logs:*:*:log-group:RDS*:log-stream:*"],
        },
    ],
}

# https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSTaskExecutionRolePolicy.html
ECS_TASK_EXECUTION: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "ecr:GetAuthorizationToken",
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            "Resource": "*",
        }
    ],
}

MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole": RDS_ENHANCED_MONITORING,
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy": ECS_TASK_EXECUTION,
}


def managed_policy(arn: str) -> dict[str, Any]:
    try:
        return MANAGED_POLICIES[arn]
    except KeyError:
        raise UnknownManagedPolicy(f"{arn}: vendor its statements in policy/managed.py") from None


def aws_managed_sns_key_policy(region: str) -> dict[str, Any]:
    """The key policy of the AWS managed key `alias/aws/sns`, which nobody can change: it admits
    principals of the account calling through SNS, never another service's principal. So AWS
    services that publish to a topic (CloudWatch alarms among them) need a customer managed key
    whose policy admits them
    (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services)."""
    return {
        "Version": "2012-10-17",
        "Id": "auto-sns-1",
        "Statement": [
            {
                "Sid": "Allow access through SNS for all principals in the account that are "
                "authorized to use SNS",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "kms:Decrypt",
                    "kms:GenerateDataKey*",
                    "kms:CreateGrant",
                    "kms:ListGrants",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": ACCOUNT,
                        "kms:ViaService": f"sns.{region}.amazonaws.com",
                    }
                },
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                "Resource": "*",
            },
        ],
    }


def default_topic_policy(topic_arn: str) -> dict[str, Any]:
    """The policy SNS gives a topic that has none: the owner account's principals (and services
    acting for it, which present `aws:SourceOwner`) may publish and manage it
    (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html)."""
    return {
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [
            {
                "Sid": "__default_statement_ID",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:AddPermission",
                    "SNS:RemovePermission",
                    "SNS:DeleteTopic",
                    "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic",
                    "SNS:Publish",
                ],
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": ACCOUNT}},
            }
        ],
    }
