"""An RDS read replica of the environment's database, queried by the services that only read.

Behind `EnvironmentConfig.db_read_replica`. The readers get the replica's address in
`READ_HOST_VARIABLE`; with the flag off the variable is not set at all and they read from the
primary (`DB_HOST`), so a task definition names a read host only where one exists. The replica
carries the primary's roles and passwords (it is a copy), so the readers' login is unchanged.

Replicas are asynchronous: a reader may see a write a moment late (docs/operations.md).
What a replica takes and refuses:
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.html and
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PostgreSQL.Replication.ReadReplicas.html
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.db_instance import DbInstance
from constructs import Construct

from netflux_catalogue import Service
from netflux_infra.config import EnvironmentConfig
from netflux_infra.task_additions import NOTHING, TaskAdditions

# The variable movie-service reads its read-only host from. One place: rename it here.
READ_HOST_VARIABLE = "DB_READ_HOST"  # movie_service.config reads it
# The services that only read (movie-service serves the catalogue; customer-service writes).
READERS = ("movie-service",)


class ReadReplica(Construct):
    def __init__(
        self, scope: Construct, id_: str, config: EnvironmentConfig, primary: DbInstance
    ) -> None:
        super().__init__(scope, id_)
        retention = config.retention
        self.instance = DbInstance(
            self,
            "postgres",
            identifier=config.names.read_replica,
            # Engine, version, master login, database name and encryption key come from the
            # source; RDS refuses a username, password or db_name on a replica.
            replicate_source_db=primary.identifier,
            instance_class=config.db_instance_class,
            # Same firewall and parameters (TLS forced) as the primary; a replica in the
            # primary's region is placed in its subnet group (naming one would need the
            # source as an ARN).
            vpc_security_group_ids=primary.vpc_security_group_ids,
            parameter_group_name=primary.parameter_group_name,
            storage_type="gp3",
            storage_encrypted=True,  # inherited from the encrypted source; stated for readers
            max_allocated_storage=config.db_max_allocated_storage,  # storage autoscaling
            publicly_accessible=False,
            iam_database_authentication_enabled=True,
            # Reads stop when it does: as available as the primary (Multi-AZ in prod).
            multi_az=config.db_multi_az,
            # A replica is rebuilt from the primary: no backups of its own, no final snapshot.
            backup_retention_period=0,
            skip_final_snapshot=True,
            # Deleting it breaks the readers, so it is protected where the primary is.
            deletion_protection=retention.db_deletion_protection,
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            monitoring_interval=60,
            monitoring_role_arn=primary.monitoring_role_arn,
            performance_insights_enabled=config.db_performance_insights,
            apply_immediately=retention.db_apply_immediately,
        )


def replica_additions(spec: Service, replica: ReadReplica | None) -> TaskAdditions:
    if replica is None or spec.name not in READERS:
        return NOTHING
    return TaskAdditions(environment={READ_HOST_VARIABLE: replica.instance.address})
