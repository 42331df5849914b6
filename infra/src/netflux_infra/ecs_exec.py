"""ECS Exec: a shell in a running task without SSH or a bastion (replaces the seed's bastion).

Behind `EnvironmentConfig.ecs_exec`. What it takes, from
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html:

- `enable_execute_command` on the services;
- the task role may open the SSM Session Manager channels (ssmmessages:*Channel), the only
  AWS API the SSM agent that ECS mounts into the container calls for a session;
- without NAT gateways, an `ssmmessages` interface endpoint; with a KMS key for the sessions
  also a `kms` one (the agent decrypts the session's data key);
- session logging: the cluster's `executeCommandConfiguration` with `logging = OVERRIDE` to a
  CloudWatch log group encrypted with a customer managed key, which also encrypts the session
  itself (`kmsKeyId`); the task role writes that group and decrypts with that key;
- the SSM agent writes its own files into the container, so a read-only root filesystem is not
  supported (ECS Exec considerations, same page); `initProcessEnabled` is recommended there so
  the agent's child processes are reaped.

Who may exec into which environment is decided by the caller's IAM policy (the access stack):
`ecs:ExecuteCommand` on the cluster ARN and the tasks, conditioned on `ecs:cluster` and
`aws:ResourceTag/Environment` (every resource carries the `Environment` default tag), plus
`kms:GenerateDataKey` on `ExecSessions.key` (docs/operations.md).
"""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.ecs_cluster import (
    EcsClusterConfiguration,
    EcsClusterConfigurationExecuteCommandConfiguration,
    EcsClusterConfigurationExecuteCommandConfigurationLogConfiguration,
)
from constructs import Construct

from netflux_infra.config import EnvironmentConfig
from netflux_infra.iam import statement
from netflux_infra.kms import customer_key
from netflux_infra.task_additions import NOTHING, TaskAdditions

# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html#ecs-exec-required-iam-permissions
SSM_MESSAGES_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
# Interface endpoints an exec session needs in a VPC without NAT (network.VpcEndpoints).
EXEC_ENDPOINTS = ("ssmmessages", "kms")


def exec_endpoints(config: EnvironmentConfig) -> tuple[str, ...]:
    return EXEC_ENDPOINTS if config.ecs_exec else ()


class ExecSessions(Construct):
    """The key that encrypts exec sessions and their log group, and what the cluster and the
    tasks need to use them."""

    def __init__(
        self, scope: Construct, id_: str, config: EnvironmentConfig, *, account_id: str
    ) -> None:
        super().__init__(scope, id_)
        region, log_group_name = config.region, config.names.exec_sessions
        log_group_arn = f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name}"
        self.key = customer_key(
            self,
            "key",
            config,
            account_id=account_id,
            description=f"ECS Exec sessions of {config.names.prefix} and their log group",
            alias=f"alias/{config.names.prefix}-exec-sessions",
            alias_id="alias",
            service_statements=(
                # CloudWatch Logs encrypts this one log group with it:
                # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
                {
                    "Sid": "CloudWatchLogsForTheSessionLogGroup",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}
                    },
                },
            ),
        )
        self.log_group = CloudwatchLogGroup(
            self,
            "logs",
            name=log_group_name,
            retention_in_days=config.log_retention_days,
            kms_key_id=self.key.arn,
        )

    def cluster_configuration(self) -> EcsClusterConfiguration:
        """Sessions encrypted with the key and logged, encrypted, to the log group."""
        return EcsClusterConfiguration(
            execute_command_configuration=EcsClusterConfigurationExecuteCommandConfiguration(
                kms_key_id=self.key.arn,
                logging="OVERRIDE",
                log_configuration=EcsClusterConfigurationExecuteCommandConfigurationLogConfiguration(
                    cloud_watch_log_group_name=self.log_group.name,
                    cloud_watch_encryption_enabled=True,
                ),
            )
        )

    def task_additions(self) -> TaskAdditions:
        return TaskAdditions(
            enable_execute_command=True,
            container_settings=EXEC_CONTAINER_SETTINGS,
            task_role_statements=(
                statement(SSM_MESSAGES_ACTIONS, ["*"]),  # no resource-level permissions
                # Session logging: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html#ecs-exec-required-iam-permissions
                statement(["logs:DescribeLogGroups"], ["*"]),  # cannot be narrowed
                statement(
                    ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                    [f"{self.log_group.arn}:*"],
                ),
                statement(["kms:Decrypt"], [self.key.arn]),
            ),
        )


# The SSM agent needs a writable root filesystem; an init process reaps its children.
EXEC_CONTAINER_SETTINGS: dict[str, Any] = {
    "readonlyRootFilesystem": False,
    "linuxParameters": {"initProcessEnabled": True},
}


def exec_additions(sessions: ExecSessions | None) -> TaskAdditions:
    return sessions.task_additions() if sessions else NOTHING
