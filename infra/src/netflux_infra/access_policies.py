"""Each team's IAM policy document, as plain data (no cdktf): the `access` stack attaches them.

Scoping follows the `Environment` tag every stack sets through the provider's default_tags
(stack.py): ECS checks `aws:ResourceTag/<key>` on UpdateService and ExecuteCommand
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html;
ECS Exec's own example: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html).
Describe/List/Get actions mostly take no resource-level scope (same pages), so reads are
account-wide; log reads are limited to the project's log groups.

Changing an environment in `mfa_environments` (prod) needs MFA: an explicit Deny with
`BoolIfExists aws:MultiFactorAuthPresent = false`, which also catches long-term keys, where the
key is absent
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent).
No statement grants `*` or `<service>:*`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netflux_infra.config import AccessConfig, EnvironmentConfig, PipelineConfig
from netflux_infra.naming import PipelineNames

Statement = dict[str, Any]

# Reading the running system: services, tasks, alarms, load balancers, pipeline state.
READ_ACTIONS = (
    "ecs:Describe*",
    "ecs:List*",
    "elasticloadbalancing:Describe*",
    "cloudwatch:Describe*",
    "cloudwatch:GetMetricData",
    "cloudwatch:GetMetricStatistics",
    "cloudwatch:GetDashboard",
    "cloudwatch:ListDashboards",
    "cloudwatch:ListMetrics",
    "application-autoscaling:Describe*",
    "codepipeline:GetPipeline",
    "codepipeline:GetPipelineState",
    "codepipeline:GetPipelineExecution",
    "codepipeline:ListPipelines",
    "codepipeline:ListPipelineExecutions",
    "codebuild:BatchGetBuilds",
    "codebuild:ListBuildsForProject",
    "ecr:DescribeRepositories",
    "ecr:DescribeImages",
    "ecr:ListImages",
    "rds:DescribeDBInstances",
    "cloudfront:GetDistribution",
    "cloudfront:ListDistributions",
    "logs:DescribeLogGroups",
)
# Application and build logs (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html).
LOG_READ_ACTIONS = (
    "logs:DescribeLogStreams",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:GetQueryResults",
    "logs:StopQuery",
)
# What auditors read beyond that: who may do what, and what was done.
AUDIT_ACTIONS = (
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetGroup",
    "iam:GetGroupPolicy",
    "iam:ListRoles",
    "iam:ListGroups",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListGroupPolicies",
    "iam:ListAttachedGroupPolicies",
    "cloudtrail:LookupEvents",
)
DEPLOY_ACTIONS = ("ecs:UpdateService",)
EXEC_ACTIONS = ("ecs:ExecuteCommand",)
APPROVE_ACTIONS = ("codepipeline:PutApprovalResult",)


def document(*statements: Statement) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def tagged(environments: Sequence[str]) -> dict[str, Any]:
    return {"StringEquals": {"aws:ResourceTag/Environment": list(environments)}}


def _log_groups(environments: Sequence[EnvironmentConfig], pipeline: PipelineConfig) -> list[str]:
    groups = [
        f"arn:aws:logs:{env.region}:*:log-group:/ecs/{env.names.prefix}/*" for env in environments
    ]
    return [*groups, f"arn:aws:logs:{pipeline.region}:*:log-group:/codebuild/{pipeline.name}*"]


def _approvals(
    environments: Sequence[EnvironmentConfig], pipeline: PipelineConfig, only: Sequence[str] | None
) -> list[str]:
    names = PipelineNames(pipeline.name)
    return [
        f"arn:aws:codepipeline:{pipeline.region}:*:{pipeline.name}/"
        f"{names.approval_stage(env.name)}/{names.approval_action}"
        for env in environments
        if env.requires_approval and (only is None or env.name in only)
    ]


class TeamPolicies:
    """The three teams' documents for these environments and this pipeline."""

    def __init__(
        self,
        config: AccessConfig,
        environments: Sequence[EnvironmentConfig],
        pipeline: PipelineConfig,
    ) -> None:
        self.config = config
        self.environments = list(environments)
        self.pipeline = pipeline
        self.all_environments = [env.name for env in environments]

    def _read(self) -> list[Statement]:
        return [
            {
                "Sid": "ReadTheSystem",
                "Effect": "Allow",
                "Action": list(READ_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "ReadLogs",
                "Effect": "Allow",
                "Action": list(LOG_READ_ACTIONS),
                "Resource": _log_groups(self.environments, self.pipeline),
            },
        ]

    def _services(self) -> list[str]:
        return [
            f"arn:aws:ecs:{env.region}:*:service/{env.names.cluster}/*" for env in self.environments
        ]

    def _deploy(self, environments: Sequence[str]) -> Statement:
        return {
            "Sid": "DeployServices",
            "Effect": "Allow",
            "Action": list(DEPLOY_ACTIONS),
            "Resource": self._services(),
            "Condition": tagged(environments),
        }

    def _mfa_for_changes(self) -> list[Statement]:
        """Deny every change to an MFA environment without MFA, whatever else allows it."""
        no_mfa = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
        protected = list(self.config.mfa_environments)
        statements: list[Statement] = [
            {
                "Sid": "NoProdChangeWithoutMfa",
                "Effect": "Deny",
                "Action": [*DEPLOY_ACTIONS, *EXEC_ACTIONS],
                "Resource": "*",
                "Condition": {**tagged(protected), **no_mfa},
            }
        ]
        approvals = _approvals(self.environments, self.pipeline, protected)
        if approvals:
            statements.append(
                {
                    "Sid": "NoProdApprovalWithoutMfa",
                    "Effect": "Deny",
                    "Action": list(APPROVE_ACTIONS),
                    "Resource": approvals,
                    "Condition": no_mfa,
                }
            )
        return statements

    def developers(self) -> dict[str, Any]:
        """Read everything, read logs, roll the developer environments' services."""
        return document(
            *self._read(),
            self._deploy(self.config.developer_environments),
            *self._mfa_for_changes(),
        )

    def devops(self) -> dict[str, Any]:
        """Read, deploy every environment, exec into the developer environments, approve
        releases."""
        clusters = [
            f"arn:aws:ecs:{env.region}:*:{kind}/{env.names.cluster}{suffix}"
            for env in self.environments
            for kind, suffix in (("cluster", ""), ("task", "/*"))
        ]
        statements = [
            *self._read(),
            self._deploy(self.all_environments),
            {
                "Sid": "ExecIntoTasks",
                "Effect": "Allow",
                "Action": list(EXEC_ACTIONS),
                "Resource": clusters,
                "Condition": tagged(self.config.developer_environments),
            },
        ]
        approvals = _approvals(self.environments, self.pipeline, None)
        if approvals:
            statements.append(
                {
                    "Sid": "ApproveReleases",
                    "Effect": "Allow",
                    "Action": list(APPROVE_ACTIONS),
                    "Resource": approvals,
                }
            )
        return document(*statements, *self._mfa_for_changes())

    def auditors(self) -> dict[str, Any]:
        """Read only: the system, its logs, and who may do what."""
        return document(
            *self._read(),
            {
                "Sid": "ReadAccess",
                "Effect": "Allow",
                "Action": list(AUDIT_ACTIONS),
                "Resource": "*",
            },
        )

    def by_team(self) -> dict[str, dict[str, Any]]:
        return {
            "developers": self.developers(),
            "devops": self.devops(),
            "auditors": self.auditors(),
        }
