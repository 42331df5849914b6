"""CodePipeline: source -> CodeBuild (buildspec.yml) -> staging -> manual approval -> prod.

A stack of its own: it spans environments, and it deploys into their clusters by name
(`netflux-<env>`), which each environment's stack fixes.
"""

from __future__ import annotations

from collections.abc import Callable

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.codebuild_project import CodebuildProject
from cdktf_cdktf_provider_aws.codebuild_report_group import CodebuildReportGroup
from cdktf_cdktf_provider_aws.codepipeline import (
    Codepipeline,
    CodepipelineArtifactStore,
    CodepipelineStage,
    CodepipelineStageAction,
)
from cdktf_cdktf_provider_aws.codestarconnections_connection import (
    CodestarconnectionsConnection,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from netflux_catalogue import SERVICES
from netflux_infra.buckets import PrivateBucket, bucket_policy, log_into
from netflux_infra.config import EnvironmentConfig, PipelineConfig
from netflux_infra.iam import assume_role
from netflux_infra.naming import PipelineNames, artifact_name
from netflux_infra.pipeline_permissions import Scope, role_policy
from netflux_infra.stack import NO_OVERRIDES, ProviderOverrides, aws_provider, configure_backend

IMAGEDEFINITIONS = "imagedefinitions.json"
REPORT_NAME = "pytest"  # the report key in buildspec.yml


class PipelineStack(TerraformStack):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: PipelineConfig,
        environments: list[EnvironmentConfig],
        provider_overrides: ProviderOverrides = NO_OVERRIDES,
    ) -> None:
        super().__init__(scope, id_)
        aws_provider(self, config.region, "delivery", provider_overrides)
        configure_backend(self, id_, environments[0].state, "delivery", config.region)
        name = config.name
        self.names = PipelineNames(name)

        access_logs = PrivateBucket(
            self,
            "access-logs",
            name_prefix=f"{name}-pipeline-logs-",
            expire_days=90,
            force_destroy=True,
        ).bucket
        artifacts = PrivateBucket(
            self,
            "artifacts",
            name_prefix=f"{name}-pipeline-",
            log_bucket=access_logs,
            expire_days=config.artifact_retention_days,
            force_destroy=True,  # build outputs only; the images live in ECR
        )
        self.artifacts = artifacts.bucket
        log_into(access_logs, artifacts, self, "access-logs-policy")
        bucket_policy(self, "artifacts-policy", self.artifacts)
        if config.connection_arn:
            connection_arn = config.connection_arn
        else:
            connection_arn = CodestarconnectionsConnection(
                self, "connection", name=f"{name}-source", provider_type=config.provider_type
            ).arn

        self.build_logs = CloudwatchLogGroup(
            self,
            "build-logs",
            name=f"/codebuild/{name}",
            retention_in_days=config.log_retention_days,
        )
        project_name = self.names.build_project
        self.report_group = CodebuildReportGroup(
            self,
            "reports",
            # CodeBuild files the buildspec's `pytest` report under <project>-<key>.
            name=f"{project_name}-{REPORT_NAME}",
            type="TEST",
            export_config={"type": "NO_EXPORT"},
            delete_reports=True,
        )
        build_role = self._build_role(config, environments)
        self.project = CodebuildProject(
            self,
            "build",
            name=project_name,
            description="make test, make images, make release (buildspec.yml)",
            service_role=build_role.arn,
            build_timeout=60,
            source={"type": "CODEPIPELINE", "buildspec": "buildspec.yml"},
            artifacts={"type": "CODEPIPELINE"},
            environment={
                "compute_type": config.build_compute,
                "image": config.build_image,
                "type": "LINUX_CONTAINER",
                # Docker in the build: Testcontainers and image builds.
                "privileged_mode": True,
                "environment_variable": [
                    {
                        "name": "DEPLOY_ENVIRONMENTS",
                        "value": " ".join(e.name for e in environments),
                    }
                ],
            },
            cache={"type": "LOCAL", "modes": ["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_CUSTOM_CACHE"]},
            logs_config={
                "cloudwatch_logs": {"group_name": self.build_logs.name, "status": "ENABLED"}
            },
        )
        pipeline_role = self._pipeline_role(config, environments, connection_arn)
        self.pipeline = self._pipeline(config, environments, pipeline_role, connection_arn)
        TerraformOutput(self, "pipeline_name", value=self.pipeline.name)
        TerraformOutput(
            self,
            "connection_arn",
            value=connection_arn,
            description="Finish the Git host's handshake for this connection once (console)",
        )

    def _build_role(self, config: PipelineConfig, environments: list[EnvironmentConfig]) -> IamRole:
        role = IamRole(
            self,
            "build-role",
            name=self.names.build_role,
            assume_role_policy=assume_role("codebuild.amazonaws.com"),
        )
        IamRolePolicy(
            self,
            "build-policy",
            role=role.id,
            policy=role_policy("build", self._resources(environments)),
        )
        return role

    def _pipeline_role(
        self, config: PipelineConfig, environments: list[EnvironmentConfig], connection_arn: str
    ) -> IamRole:
        role = IamRole(
            self,
            "pipeline-role",
            name=self.names.pipeline_role,
            assume_role_policy=assume_role("codepipeline.amazonaws.com"),
        )
        resources = self._resources(environments) | {
            Scope.CONNECTION: [connection_arn],
            Scope.BUILD_PROJECT: [self.project.arn],
        }
        IamRolePolicy(
            self, "pipeline-policy", role=role.id, policy=role_policy("pipeline", resources)
        )
        return role

    def _resources(self, environments: list[EnvironmentConfig]) -> dict[Scope, list[str]]:
        """The ARNs behind each scope of pipeline_permissions.GRANTS. The environments' resources
        live in other stacks: they are reached by name (naming.py), in any account."""

        def each(arn: Callable[[EnvironmentConfig, str], str]) -> list[str]:
            return [arn(env, spec.name) for env in environments for spec in SERVICES]

        return {
            Scope.ARTIFACT_BUCKET: [self.artifacts.arn],
            Scope.ARTIFACT_OBJECTS: [f"{self.artifacts.arn}/*"],
            Scope.BUILD_LOGS: [f"{self.build_logs.arn}:*"],
            Scope.REPORT_GROUP: [self.report_group.arn],
            Scope.REPOSITORIES: each(
                lambda env, svc: (
                    f"arn:aws:ecr:{env.region}:*:repository/{env.names.repository(svc)}"
                )
            ),
            Scope.SERVICES: each(
                lambda env, svc: (
                    f"arn:aws:ecs:{env.region}:*:service/{env.names.cluster}/"
                    f"{env.names.ecs_service(svc)}"
                )
            ),
            Scope.TASK_DEFINITIONS: each(
                lambda env, svc: (
                    f"arn:aws:ecs:{env.region}:*:task-definition/{env.names.task_family(svc)}:*"
                )
            ),
            Scope.TASKS: sorted(
                {f"arn:aws:ecs:{env.region}:*:task/{env.names.cluster}/*" for env in environments}
            ),
            Scope.TASK_ROLES: [
                f"arn:aws:iam::*:role/{role}"
                for env in environments
                for spec in SERVICES
                for role in (env.names.execution_role(spec.name), env.names.task_role(spec.name))
            ],
        }

    def _pipeline(
        self,
        config: PipelineConfig,
        environments: list[EnvironmentConfig],
        role: IamRole,
        connection_arn: str,
    ) -> Codepipeline:
        outputs = [artifact_name(env.name, spec.name) for env in environments for spec in SERVICES]
        stages = [
            CodepipelineStage(
                name="Source",
                action=[
                    CodepipelineStageAction(
                        name="Source",
                        category="Source",
                        owner="AWS",
                        provider="CodeStarSourceConnection",
                        version="1",
                        output_artifacts=["source"],
                        configuration={
                            "ConnectionArn": connection_arn,
                            "FullRepositoryId": config.repository,
                            "BranchName": config.branch,
                            "OutputArtifactFormat": "CODE_ZIP",
                        },
                    )
                ],
            ),
            CodepipelineStage(
                name="Build",
                action=[
                    CodepipelineStageAction(
                        name="TestBuildPush",
                        category="Build",
                        owner="AWS",
                        provider="CodeBuild",
                        version="1",
                        input_artifacts=["source"],
                        output_artifacts=outputs,
                        configuration={"ProjectName": self.project.name, "PrimarySource": "source"},
                    )
                ],
            ),
        ]
        for env in environments:
            if env.requires_approval:
                stages.append(
                    CodepipelineStage(
                        name=self.names.approval_stage(env.name),
                        action=[
                            CodepipelineStageAction(
                                name=self.names.approval_action,
                                category="Approval",
                                owner="AWS",
                                provider="Manual",
                                version="1",
                                configuration={
                                    "CustomData": f"Release to {env.name}? Check the stage before."
                                },
                            )
                        ],
                    )
                )
            stages.append(
                CodepipelineStage(
                    name=f"Deploy-{env.name}",
                    action=[
                        # Rolling update; the service's circuit breaker rolls a failing one back.
                        CodepipelineStageAction(
                            name=spec.name,
                            category="Deploy",
                            owner="AWS",
                            provider="ECS",
                            version="1",
                            run_order=1,
                            input_artifacts=[artifact_name(env.name, spec.name)],
                            configuration={
                                "ClusterName": env.names.cluster,
                                "ServiceName": env.names.ecs_service(spec.name),
                                "FileName": IMAGEDEFINITIONS,
                                "DeploymentTimeout": "20",
                            },
                        )
                        for spec in SERVICES
                    ],
                )
            )
        return Codepipeline(
            self,
            "pipeline",
            name=config.name,
            pipeline_type="V2",
            role_arn=role.arn,
            artifact_store=[CodepipelineArtifactStore(location=self.artifacts.bucket, type="S3")],
            stage=stages,
        )
