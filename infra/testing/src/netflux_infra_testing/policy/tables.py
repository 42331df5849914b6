"""What each principal must (and must not) be able to do: the expectations, in one place.

Every row names the AWS documentation page it comes from. Request ARNs are looked up in the
loaded documents (the same example ARNs the policies' references resolve to), names come from
`netflux_infra.naming`, so a row and the stacks cannot drift apart silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from netflux_catalogue import SERVICES
from netflux_infra.config import EnvironmentConfig, PipelineConfig
from netflux_infra.naming import AccessNames, PipelineNames
from netflux_infra_testing.policy.documents import Documents
from netflux_infra_testing.policy.evaluate import Decision, Request
from netflux_infra_testing.policy.references import ACCOUNT, alarm, codepipeline, ecs

ALLOW, DENY = True, False

# The pages the rows come from.
ECS_EXECUTION_ROLE = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html"
)
ECS_SECRETS = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html"
ECS_TASK_ROLE = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html"
ECS_TAG_ON_CREATE = (
    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html"
)
ECS_EXEC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html"
ECS_ACTIONS = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html"
LOGS_ACTIONS = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html"
RDS_SECRET = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html"
PIPELINE_ECS = "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECS.html"
PIPELINE_ROLE = (
    "https://docs.aws.amazon.com/codepipeline/latest/userguide/security-iam.html#how-to-custom-role"
)
PIPELINE_APPROVAL = (
    "https://docs.aws.amazon.com/codepipeline/latest/userguide/approvals-iam-permissions.html"
)
BUILD_ROLE = "https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html"
ECR_PUSH = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html"
CLOUDFRONT_OAC = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html"
S3_TLS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"
ALARM_SNS = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html"
)
SNS_KMS = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services"
IAM_ACTIONS = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html"
PASS_ROLE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"
MFA = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_my-sec-creds-self-manage-mfa-only.html"

WITH_MFA = {"aws:MultiFactorAuthPresent": "true"}


@dataclass(frozen=True)
class Expectation:
    who: tuple[str, str]  # ("role" | "group" | "service", name)
    action: str
    resource: str
    allowed: bool
    source: str  # the AWS documentation page the row comes from
    context: Mapping[str, str] = field(default_factory=dict)

    def request(self, documents: Documents) -> Request:
        return Request(documents.principal(*self.who), self.action, self.resource, self.context)

    def decide(self, documents: Documents) -> Decision:
        return documents.decide(self.request(documents))

    def failure(self, documents: Documents) -> str | None:
        """None when the documents decide as expected, else what went wrong and why."""
        decision = self.decide(documents)
        if decision.allowed == self.allowed:
            return None
        context = f" with {dict(self.context)}" if self.context else ""
        return (
            f"{self.who[0]} {self.who[1]}: {self.action} on {self.resource}{context}: expected "
            f"{verdict(self.allowed)}, got {decision} (expectation from {self.source})"
        )


def verdict(allowed: bool) -> str:
    return "ALLOW" if allowed else "DENY"


def _log_stream(documents: Documents, group: str, stream: str) -> str:
    # PutLogEvents is authorized on the log stream; CreateLogStream names the stream it creates
    # (LOGS_ACTIONS). Policies grant `<log group ARN>:*` to cover both.
    return f"{documents.arn('aws_cloudwatch_log_group', name=group)}:log-stream:{stream}"


def task_roles(documents: Documents, env: EnvironmentConfig) -> list[Expectation]:
    """ECS task execution roles (with their db-init containers' master secret) and task roles."""
    names, rows = env.names, []
    for spec in SERVICES:
        other = next(s for s in SERVICES if s.name != spec.name)
        execution, task = (
            ("role", names.execution_role(spec.name)),
            ("role", names.task_role(spec.name)),
        )
        repository = documents.arn("aws_ecr_repository", name=names.repository(spec.name))
        secret = documents.arn("aws_secretsmanager_secret", name=names.database_secret(spec.name))
        stream = _log_stream(documents, names.log_group(spec.name), f"{spec.name}/task-1")
        rows += [
            Expectation(
                ("service", "ecs-tasks.amazonaws.com"),
                "sts:AssumeRole",
                documents.arn("aws_iam_role", name=execution[1]),
                ALLOW,
                ECS_EXECUTION_ROLE,
            ),
            Expectation(execution, "ecr:GetAuthorizationToken", "*", ALLOW, ECS_EXECUTION_ROLE),
            Expectation(execution, "ecr:BatchGetImage", repository, ALLOW, ECS_EXECUTION_ROLE),
            Expectation(
                execution, "ecr:GetDownloadUrlForLayer", repository, ALLOW, ECS_EXECUTION_ROLE
            ),
            Expectation(
                execution,
                "ecr:BatchGetImage",
                documents.arn("aws_ecr_repository", name=names.repository(other.name)),
                DENY,
                ECS_EXECUTION_ROLE,
            ),
            Expectation(execution, "logs:CreateLogStream", stream, ALLOW, ECS_EXECUTION_ROLE),
            Expectation(execution, "logs:PutLogEvents", stream, ALLOW, ECS_EXECUTION_ROLE),
            Expectation(execution, "secretsmanager:GetSecretValue", secret, ALLOW, ECS_SECRETS),
            Expectation(
                execution,
                "secretsmanager:GetSecretValue",
                documents.arn("aws_secretsmanager_secret", name=names.database_secret(other.name)),
                DENY,
                ECS_SECRETS,
            ),
            Expectation(
                ("service", "ecs-tasks.amazonaws.com"),
                "sts:AssumeRole",
                documents.arn("aws_iam_role", name=task[1]),
                ALLOW,
                ECS_TASK_ROLE,
            ),
            # The application calls no AWS API: its task role grants nothing.
            Expectation(task, "secretsmanager:GetSecretValue", secret, DENY, ECS_TASK_ROLE),
        ]
        # Each task's db-init container logs in as the RDS master user (dbinit.py).
        master = documents.arn("rds master secret", identifier=names.prefix)
        rows.append(
            Expectation(execution, "secretsmanager:GetSecretValue", master, ALLOW, RDS_SECRET)
        )
    return rows


def edge_and_alarms(documents: Documents, env: EnvironmentConfig) -> list[Expectation]:
    """Service principals: CloudFront reading the site bucket, CloudWatch alarms publishing."""
    names = env.names
    site = documents.arn("aws_s3_bucket", bucket_prefix=f"{names.prefix}-web-")
    distribution = documents.arn("aws_cloudfront_distribution", comment=f"Netflux {env.name}")
    cloudfront = ("service", "cloudfront.amazonaws.com")
    topic = documents.arn("aws_sns_topic", name=f"{names.prefix}-alarms")
    alarms = ("service", "cloudwatch.amazonaws.com")
    from_alarm = {
        "aws:SourceArn": alarm(env.region, f"{names.prefix}-alb-5xx"),
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceOwner": ACCOUNT,
    }
    other_distribution = f"arn:aws:cloudfront::{ACCOUNT}:distribution/EOTHERDISTRIB"
    return [
        Expectation(
            cloudfront,
            "s3:GetObject",
            f"{site}/index.html",
            ALLOW,
            CLOUDFRONT_OAC,
            {"aws:SourceArn": distribution},
        ),
        Expectation(
            cloudfront,
            "s3:GetObject",
            f"{site}/index.html",
            DENY,
            CLOUDFRONT_OAC,
            {"aws:SourceArn": other_distribution},
        ),
        Expectation(
            cloudfront,
            "s3:GetObject",
            f"{site}/index.html",
            DENY,
            S3_TLS,
            {"aws:SourceArn": distribution, "aws:SecureTransport": "false"},
        ),
        Expectation(alarms, "sns:Publish", topic, ALLOW, ALARM_SNS, from_alarm),
        *_alarm_key_rows(documents, env),
    ]


def _alarm_key_rows(documents: Documents, env: EnvironmentConfig) -> list[Expectation]:
    topic = documents.arn("aws_sns_topic", name=f"{env.names.prefix}-alarms")
    key = documents.topic_keys[topic]
    # SNS calls KMS for the publishing service. The encryption context entry is an assumption
    # (not confirmed in AWS's SNS pages; no stack policy conditions on it today); a service
    # principal carries no kms:CallerAccount.
    via_sns = {
        "kms:ViaService": f"sns.{env.region}.amazonaws.com",
        "kms:EncryptionContext:aws:sns:topicArn": topic,
        "aws:SourceArn": alarm(env.region, f"{env.names.prefix}-alb-5xx"),
        "aws:SourceAccount": ACCOUNT,
    }
    alarms = ("service", "cloudwatch.amazonaws.com")
    return [
        Expectation(alarms, "kms:GenerateDataKey", key, ALLOW, SNS_KMS, via_sns),
        Expectation(alarms, "kms:Decrypt", key, ALLOW, SNS_KMS, via_sns),
    ]


def delivery(documents: Documents, pipeline: PipelineConfig) -> list[Expectation]:
    """The pipeline's and the build's own resources (no environment)."""
    names = PipelineNames(pipeline.name)
    artifacts = documents.arn("aws_s3_bucket", bucket_prefix=f"{pipeline.name}-pipeline-")
    project = documents.arn("aws_codebuild_project", name=names.build_project)
    build, role = ("role", names.build_role), ("role", names.pipeline_role)
    stream = _log_stream(documents, f"/codebuild/{pipeline.name}", "build-1")
    return [
        Expectation(
            ("service", "codepipeline.amazonaws.com"),
            "sts:AssumeRole",
            documents.arn("aws_iam_role", name=names.pipeline_role),
            ALLOW,
            PIPELINE_ROLE,
        ),
        Expectation(role, "s3:GetObject", f"{artifacts}/build/out.zip", ALLOW, PIPELINE_ROLE),
        Expectation(role, "s3:PutObject", f"{artifacts}/build/out.zip", ALLOW, PIPELINE_ROLE),
        Expectation(role, "codebuild:StartBuild", project, ALLOW, PIPELINE_ROLE),
        Expectation(role, "codebuild:BatchGetBuilds", project, ALLOW, PIPELINE_ROLE),
        Expectation(
            ("service", "codebuild.amazonaws.com"),
            "sts:AssumeRole",
            documents.arn("aws_iam_role", name=names.build_role),
            ALLOW,
            BUILD_ROLE,
        ),
        Expectation(build, "ecr:GetAuthorizationToken", "*", ALLOW, ECR_PUSH),
        Expectation(build, "logs:CreateLogStream", stream, ALLOW, BUILD_ROLE),
        Expectation(build, "logs:PutLogEvents", stream, ALLOW, BUILD_ROLE),
        Expectation(build, "s3:PutObject", f"{artifacts}/build/out.zip", ALLOW, BUILD_ROLE),
    ]


def deploy(
    documents: Documents, env: EnvironmentConfig, pipeline: PipelineConfig
) -> list[Expectation]:
    """The build pushing this environment's images; the pipeline's ECS deploy action rolling its
    services (the calls PIPELINE_ECS lists for the action's service role)."""
    names, pipe = env.names, PipelineNames(pipeline.name)
    role, build = ("role", pipe.pipeline_role), ("role", pipe.build_role)
    rows = []
    for spec in SERVICES:
        # The revision the action registers (SAR: RegisterTaskDefinition's resource is the
        # task definition; a policy granting "*" covers it as well).
        revision = ecs(env.region, f"task-definition/{names.task_family(spec.name)}:2")
        rows += [
            Expectation(role, "ecs:RegisterTaskDefinition", revision, ALLOW, PIPELINE_ECS),
            Expectation(role, "ecs:DescribeTaskDefinition", revision, ALLOW, PIPELINE_ECS),
        ]
        service = documents.known(
            ecs(env.region, f"service/{names.cluster}/{names.ecs_service(spec.name)}")
        )
        repository = documents.arn("aws_ecr_repository", name=names.repository(spec.name))
        execution = documents.arn("aws_iam_role", name=names.execution_role(spec.name))
        task = documents.arn("aws_iam_role", name=names.task_role(spec.name))
        to_ecs = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
        rows += [
            Expectation(role, "ecs:DescribeServices", service, ALLOW, PIPELINE_ECS),
            Expectation(role, "ecs:UpdateService", service, ALLOW, PIPELINE_ECS),
            Expectation(role, "iam:PassRole", execution, ALLOW, PIPELINE_ECS, to_ecs),
            Expectation(role, "iam:PassRole", task, ALLOW, PIPELINE_ECS, to_ecs),
            Expectation(
                role,
                "iam:PassRole",
                task,
                DENY,
                PASS_ROLE,
                {"iam:PassedToService": "ec2.amazonaws.com"},
            ),
            *(
                Expectation(build, action, repository, ALLOW, ECR_PUSH)
                for action in (
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:InitiateLayerUpload",
                    "ecr:UploadLayerPart",
                    "ecr:CompleteLayerUpload",
                    "ecr:PutImage",
                )
            ),
        ]
    return rows + _tag_on_register_rows(env, pipeline)


def _tag_on_register_rows(env: EnvironmentConfig, pipeline: PipelineConfig) -> list[Expectation]:
    role = ("role", PipelineNames(pipeline.name).pipeline_role)
    return [
        # Registering a revision that carries tags also needs ecs:TagResource, with
        # ecs:CreateAction naming the creating call (ECS_TAG_ON_CREATE, PIPELINE_ECS).
        Expectation(
            role,
            "ecs:TagResource",
            ecs(env.region, f"task-definition/{env.names.task_family(spec.name)}:2"),
            ALLOW,
            ECS_TAG_ON_CREATE,
            {"ecs:CreateAction": "RegisterTaskDefinition"},
        )
        for spec in SERVICES
    ]


def access(
    documents: Documents, env: EnvironmentConfig, pipeline: PipelineConfig
) -> list[Expectation]:
    """Team access (the `access` stack): example actions per group on this environment."""
    names, groups = env.names, AccessNames(pipeline.name)
    service = documents.known(
        ecs(env.region, f"service/{names.cluster}/{names.ecs_service(SERVICES[0].name)}")
    )
    cluster = documents.arn("aws_ecs_cluster", name=names.cluster)
    # Tasks carry their service's tags (propagate_tags = "SERVICE").
    task = ecs(env.region, f"task/{names.cluster}/0123456789abcdef")
    task_tags = {"aws:ResourceTag/Environment": documents.tags[service]["Environment"]}
    log_group = documents.arn("aws_cloudwatch_log_group", name=names.log_group(SERVICES[0].name))
    secret = documents.arn(
        "aws_secretsmanager_secret", name=names.database_secret(SERVICES[0].name)
    )
    pipe = PipelineNames(pipeline.name)
    approval = codepipeline(
        pipeline.region,
        f"{pipeline.name}/{pipe.approval_stage(env.name)}/{pipe.approval_action}",
    )
    developers, devops, auditors = (
        ("group", groups.developers),
        ("group", groups.devops),
        ("group", groups.auditors),
    )
    staging = env.name != "prod"
    rows = [
        Expectation(developers, "ecs:DescribeServices", service, ALLOW, ECS_ACTIONS),
        Expectation(developers, "logs:FilterLogEvents", log_group, ALLOW, LOGS_ACTIONS),
        Expectation(
            developers, "ecs:UpdateService", service, ALLOW if staging else DENY, ECS_ACTIONS
        ),
        Expectation(
            developers,
            "ecs:UpdateService",
            service,
            ALLOW if staging else DENY,
            ECS_ACTIONS,
            WITH_MFA,
        ),
        Expectation(developers, "ecs:ExecuteCommand", task, DENY, ECS_EXEC, task_tags),
        Expectation(developers, "secretsmanager:GetSecretValue", secret, DENY, ECS_SECRETS),
        Expectation(devops, "ecs:UpdateService", service, ALLOW if staging else DENY, MFA),
        Expectation(devops, "ecs:UpdateService", service, ALLOW, MFA, WITH_MFA),
        Expectation(
            devops, "ecs:ExecuteCommand", task, ALLOW if staging else DENY, ECS_EXEC, task_tags
        ),
        Expectation(devops, "ecs:ExecuteCommand", cluster, ALLOW if staging else DENY, ECS_EXEC),
        Expectation(
            devops,
            "ecs:ExecuteCommand",
            task,
            ALLOW if staging else DENY,
            ECS_EXEC,
            {**task_tags, **WITH_MFA},
        ),
        Expectation(devops, "logs:FilterLogEvents", log_group, ALLOW, LOGS_ACTIONS),
        Expectation(devops, "secretsmanager:GetSecretValue", secret, DENY, ECS_SECRETS),
        Expectation(auditors, "ecs:DescribeServices", service, ALLOW, ECS_ACTIONS),
        Expectation(auditors, "logs:FilterLogEvents", log_group, ALLOW, LOGS_ACTIONS),
        Expectation(auditors, "ecs:UpdateService", service, DENY, ECS_ACTIONS, WITH_MFA),
        Expectation(
            auditors, "ecs:ExecuteCommand", task, DENY, ECS_EXEC, {**task_tags, **WITH_MFA}
        ),
        Expectation(auditors, "secretsmanager:GetSecretValue", secret, DENY, ECS_SECRETS),
        # Nobody widens their own access.
        *(
            Expectation(
                team,
                "iam:AddUserToGroup",
                documents.arn("aws_iam_group", name=groups.devops),
                DENY,
                IAM_ACTIONS,
                WITH_MFA,
            )
            for team in (developers, devops, auditors)
        ),
    ]
    if env.requires_approval:
        rows += [
            Expectation(devops, "codepipeline:PutApprovalResult", approval, DENY, MFA),
            Expectation(
                devops,
                "codepipeline:PutApprovalResult",
                approval,
                ALLOW,
                PIPELINE_APPROVAL,
                WITH_MFA,
            ),
            Expectation(
                developers,
                "codepipeline:PutApprovalResult",
                approval,
                DENY,
                PIPELINE_APPROVAL,
                WITH_MFA,
            ),
            Expectation(
                auditors,
                "codepipeline:PutApprovalResult",
                approval,
                DENY,
                PIPELINE_APPROVAL,
                WITH_MFA,
            ),
        ]
    return rows


def expectations(
    documents: Documents, env: EnvironmentConfig, pipeline: PipelineConfig, *, with_access: bool
) -> list[Expectation]:
    """Every row for one environment."""
    rows = [
        *task_roles(documents, env),
        *edge_and_alarms(documents, env),
        *deploy(documents, env, pipeline),
        *delivery(documents, pipeline),
    ]
    if with_access:
        rows += access(documents, env, pipeline)
    return rows
