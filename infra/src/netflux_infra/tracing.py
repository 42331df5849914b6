"""Tracing in AWS: an ADOT (AWS Distro for OpenTelemetry) collector sidecar in each service task,
receiving the service's OTLP spans on localhost and sending them to AWS X-Ray.

Behind `EnvironmentConfig.tracing`; off, the task has no collector, no OTLP variable and no
X-Ray permission, and the services do not trace at all (they trace only with an endpoint set).
The setup follows https://aws-otel.github.io/docs/setup/ecs; the image's bundled
`/etc/ecs/ecs-xray.yaml` receives OTLP on 4317 (gRPC) and 4318 (HTTP) and exports traces only
to X-Ray (the default `ecs-default-config.yaml` also sends EMF metrics to CloudWatch Logs,
which the services publish on /actuator/prometheus instead).

X-Ray accepts W3C trace ids as the OpenTelemetry SDK generates them, so the services keep the
default id generator and W3C `traceparent` propagation:
https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html#xray-api-traceids
"""

from __future__ import annotations

from typing import Any

from netflux_infra.config import EnvironmentConfig
from netflux_infra.container import awslogs
from netflux_infra.iam import statement
from netflux_infra.task_additions import NOTHING, TaskAdditions

# Pulled through the environment's ECR pull-through cache of ECR Public (tasks have no internet).
COLLECTOR_IMAGE = "aws-observability/aws-otel-collector"  # under public.ecr.aws
COLLECTOR_VERSION = "v0.43.3"
COLLECTOR_CONFIG = "/etc/ecs/ecs-xray.yaml"
COLLECTOR_NAME = "aws-otel-collector"
COLLECTOR_MEMORY_MIB = 128  # a hard limit: a leaking collector is killed, not the service
# OTLP over HTTP/protobuf, the exporter the services use (netflux_common.tracing).
OTLP_HTTP_ENDPOINT = "http://localhost:4318"
ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"
# Head sampling by the SDK's standard variables: the service a request enters first decides by
# its trace id; the other follows the decision it receives in `traceparent` (parent-based).
# https://opentelemetry.io/docs/languages/sdk-configuration/general/#otel_traces_sampler
SAMPLER_VARIABLE, SAMPLER_ARG_VARIABLE = "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"
SAMPLER = "parentbased_traceidratio"

# What the collector's awsxray exporter calls; X-Ray has no resource-level permissions for them:
# https://docs.aws.amazon.com/xray/latest/devguide/security_iam_id-based-policy-examples.html
XRAY_ACTIONS = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
)
# The X-Ray API from a VPC without NAT gateways (network.VpcEndpoints).
TRACING_ENDPOINTS = ("xray",)


def tracing_endpoints(config: EnvironmentConfig) -> tuple[str, ...]:
    return TRACING_ENDPOINTS if config.tracing else ()


def collector_container(
    *, image: str, log_group: str, log_stream_prefix: str, region: str
) -> dict[str, Any]:
    """Not essential: when the collector stops, traces stop and the service keeps serving."""
    return {
        "name": COLLECTOR_NAME,
        "image": image,
        "essential": False,
        "command": [f"--config={COLLECTOR_CONFIG}"],
        "memory": COLLECTOR_MEMORY_MIB,
        "readonlyRootFilesystem": True,
        "environment": [{"name": "AWS_REGION", "value": region}],
        # The image's health probe answers while the config's health_check extension is up.
        "healthCheck": {
            "command": ["CMD", "/healthcheck"],
            "interval": 15,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 10,
        },
        "logConfiguration": awslogs(log_group, region, log_stream_prefix),
    }


def tracing_additions(
    config: EnvironmentConfig,
    *,
    registry_host: str,
    log_group: str,
    log_stream_prefix: str,
) -> TaskAdditions:
    """The collector beside a service's container, the endpoint it is told, the permissions."""
    if not config.tracing:
        return NOTHING
    cache = config.names.ecr_public_cache
    return TaskAdditions(
        environment={
            ENDPOINT_VARIABLE: OTLP_HTTP_ENDPOINT,
            SAMPLER_VARIABLE: SAMPLER,
            SAMPLER_ARG_VARIABLE: str(config.trace_sample_ratio),
        },
        sidecars=(
            collector_container(
                image=f"{registry_host}/{cache}/{COLLECTOR_IMAGE}:{COLLECTOR_VERSION}",
                log_group=log_group,
                log_stream_prefix=log_stream_prefix,
                region=config.region,
            ),
        ),
        task_role_statements=(statement(XRAY_ACTIONS, ["*"]),),
        pull_repositories=(f"arn:aws:ecr:{config.region}:*:repository/{cache}/{COLLECTOR_IMAGE}",),
        # The first pull through the cache creates the repository and imports the image:
        # https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html
        pull_actions=("ecr:CreateRepository", "ecr:BatchImportUpstreamImage"),
    )
