"""RDS PostgreSQL 16 in the database subnets, and each service's credentials secret."""

from __future__ import annotations

from cdktf import Fn
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_secretsmanager_random_password import (
    DataAwsSecretsmanagerRandomPassword,
)
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup, DbParameterGroupParameter
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion
from constructs import Construct

from netflux_catalogue import DATABASE_NAME, SERVICES
from netflux_infra.config import EnvironmentConfig
from netflux_infra.iam import assume_role
from netflux_infra.naming import EnvironmentNames
from netflux_infra.network import Network
from netflux_infra.security import POSTGRES_PORT, SecurityGroups

PASSWORD_LENGTH = 40  # ~238 bits from 62 symbols
EXPORTED_LOGS = ("postgresql", "upgrade")
ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


def final_snapshot_identifier(names: EnvironmentNames) -> str:
    """`netflux-prod-final-<creation time>`: unique per instance, so destroying a re-created
    environment does not collide with the snapshot of its predecessor (a snapshot identifier
    must be unique in the account and region,
    https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html).
    Terraform has no random or time provider here (only the AWS provider is available offline),
    so the time comes from timestamp(), which would change on every plan: the instance ignores
    later changes of this attribute, so the value set at creation stays."""
    return f"{names.final_snapshot}-" + Fn.formatdate("YYYYMMDDhhmmss", Fn.timestamp())


class Database(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        network: Network,
        security: SecurityGroups,
    ) -> None:
        super().__init__(scope, id_)
        names = config.names
        prefix = names.prefix
        retention = config.retention
        subnets = DbSubnetGroup(
            self,
            "subnets",
            name=prefix,
            subnet_ids=[s.id for s in network.db_subnets],
            description="Private database subnets",
        )
        parameters = DbParameterGroup(
            self,
            "parameters",
            # create_before_destroy: a prefix, so the replacement's name cannot collide.
            name_prefix=names.db_parameter_group_prefix,
            family="postgres16",
            parameter=[
                DbParameterGroupParameter(name="rds.force_ssl", value="1"),
                DbParameterGroupParameter(
                    name="log_min_duration_statement", value="500"
                ),  # slow queries, ms
                DbParameterGroupParameter(name="log_statement", value="ddl"),
                DbParameterGroupParameter(name="log_connections", value="1"),
            ],
            lifecycle={"create_before_destroy": True},
        )
        monitoring = IamRole(
            self,
            "monitoring-role",
            name=f"{prefix}-rds-monitoring",
            assume_role_policy=assume_role("monitoring.rds.amazonaws.com"),
        )
        IamRolePolicyAttachment(
            self, "monitoring-policy", role=monitoring.name, policy_arn=ENHANCED_MONITORING_POLICY
        )
        # RDS creates the log groups of exported logs itself, without retention, unless they
        # exist first: Terraform creates them, and the instance waits for them
        # (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html).
        self.log_groups = [
            CloudwatchLogGroup(
                self,
                f"logs-{log}",
                name=names.db_log_group(log),
                retention_in_days=config.log_retention_days,
            )
            for log in EXPORTED_LOGS
        ]
        self.instance = DbInstance(
            self,
            "postgres",
            identifier=names.db_instance,
            engine="postgres",
            engine_version="16",
            instance_class=config.db_instance_class,
            allocated_storage=config.db_allocated_storage,
            max_allocated_storage=config.db_max_allocated_storage,
            storage_type="gp3",
            storage_encrypted=True,
            db_name=DATABASE_NAME,
            username="netflux_admin",
            # RDS generates the master password and keeps it in Secrets Manager.
            manage_master_user_password=True,
            iam_database_authentication_enabled=True,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[security.db.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            multi_az=config.db_multi_az,
            deletion_protection=retention.db_deletion_protection,
            backup_retention_period=config.db_backup_retention_days,  # point-in-time recovery
            backup_window="03:00-04:00",
            maintenance_window="sun:04:30-sun:05:30",
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            enabled_cloudwatch_logs_exports=list(EXPORTED_LOGS),
            monitoring_interval=60,
            monitoring_role_arn=monitoring.arn,
            performance_insights_enabled=config.db_performance_insights,
            skip_final_snapshot=retention.db_skip_final_snapshot,
            final_snapshot_identifier=(
                final_snapshot_identifier(names) if retention.db_takes_final_snapshot else None
            ),
            apply_immediately=retention.db_apply_immediately,
            depends_on=list(self.log_groups),
            # The identifier holds the creation time (below): fixed once the instance exists.
            lifecycle={"ignore_changes": ["final_snapshot_identifier"]},
        )

        # One secret per service, in the shape the services read (keys host, port, dbname,
        # username, password). The password is generated by Secrets Manager on the first apply
        # (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetRandomPassword.html)
        # and set on the role by the service's init container (dbinit.py). The data source answers
        # a new password on every plan: the version ignores changes to its value, so a later
        # apply never replaces a password in use (and a rotation is not undone).
        self.secrets: dict[str, SecretsmanagerSecret] = {}
        for spec in SERVICES:
            secret = SecretsmanagerSecret(
                self,
                f"secret-{spec.short}",
                name=names.database_secret(spec.name),
                description=f"PostgreSQL login of {spec.name}",
                recovery_window_in_days=retention.secret_recovery_window_days,
            )
            password = DataAwsSecretsmanagerRandomPassword(
                self,
                f"password-{spec.short}",
                password_length=PASSWORD_LENGTH,
                # Letters and digits only: nothing a connection URL or a shell must escape.
                exclude_punctuation=True,
            )
            SecretsmanagerSecretVersion(
                self,
                f"secret-{spec.short}-initial",
                secret_id=secret.id,
                secret_string=Fn.jsonencode(
                    {
                        "host": self.instance.address,
                        "port": str(POSTGRES_PORT),
                        "dbname": DATABASE_NAME,
                        "username": spec.db_role,
                        "password": password.random_password,
                    }
                ),
                lifecycle={"ignore_changes": ["secret_string"]},
            )
            self.secrets[spec.name] = secret
