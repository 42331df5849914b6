"""Compatibility shims for moto 5.2.5, registered in the moto server process.

One function per gap, each naming the moto behaviour it works around. They make moto answer
the way AWS does for the calls Terraform's AWS provider 5.100.0 makes for the Netflux stacks;
none of them is needed against real AWS.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

SHIMS: list[Callable[[], None]] = []


def shim(function: Callable[[], None]) -> Callable[[], None]:
    SHIMS.append(function)
    return function


def apply_all() -> list[str]:
    for function in SHIMS:
        function()
    return [f.__name__ for f in SHIMS]


@shim
def appautoscaling_tags() -> None:
    """moto: Application Auto Scaling ListTagsForResource/TagResource/UntagResource raise
    NotImplementedError (HTTP 500); the provider reads tags after RegisterScalableTarget."""
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    tags: dict[str, dict[str, str]] = {}

    def list_tags_for_resource(self: Any) -> str:
        return json.dumps({"Tags": tags.get(self._get_param("ResourceARN"), {})})

    def tag_resource(self: Any) -> str:
        tags.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: Any) -> str:
        current = tags.get(self._get_param("ResourceARN"), {})
        for key in self._get_param("TagKeys") or []:
            current.pop(key, None)
        return "{}"

    original_register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self: Any) -> str:
        answer: str = original_register(self)
        arn = json.loads(answer)["ScalableTargetARN"]
        tags.setdefault(arn, {}).update(self._get_param("Tags") or {})
        return answer

    setattr(ApplicationAutoScalingResponse, "list_tags_for_resource", list_tags_for_resource)
    setattr(ApplicationAutoScalingResponse, "tag_resource", tag_resource)
    setattr(ApplicationAutoScalingResponse, "untag_resource", untag_resource)
    setattr(ApplicationAutoScalingResponse, "register_scalable_target", register_scalable_target)


@shim
def ecr_pull_through_cache_rules() -> None:
    """moto: ECR Create/Describe/DeletePullThroughCacheRule raise NotImplementedError."""
    from moto.ecr.responses import ECRResponse

    rules: dict[str, dict[str, Any]] = {}

    def create_pull_through_cache_rule(self: Any) -> str:
        prefix = self._get_param("ecrRepositoryPrefix")
        rule = {
            "ecrRepositoryPrefix": prefix,
            "upstreamRegistryUrl": self._get_param("upstreamRegistryUrl"),
            "createdAt": datetime.now(UTC).timestamp(),
            "registryId": self.current_account,
            "upstreamRegistry": "ecr-public",
        }
        rules[prefix] = rule
        return json.dumps(rule)

    def describe_pull_through_cache_rules(self: Any) -> str:
        wanted = self._get_param("ecrRepositoryPrefixes") or list(rules)
        found = [rules[p] for p in wanted if p in rules]
        if len(found) < len(wanted):
            self.response_headers = {"status": "400"}
            raise _ecr_error("PullThroughCacheRuleNotFoundException", "rule not found")
        return json.dumps({"pullThroughCacheRules": found})

    def delete_pull_through_cache_rule(self: Any) -> str:
        rule = rules.pop(self._get_param("ecrRepositoryPrefix"), None)
        if rule is None:
            raise _ecr_error("PullThroughCacheRuleNotFoundException", "rule not found")
        return json.dumps(rule)

    setattr(ECRResponse, "create_pull_through_cache_rule", create_pull_through_cache_rule)
    setattr(ECRResponse, "describe_pull_through_cache_rules", describe_pull_through_cache_rules)
    setattr(ECRResponse, "delete_pull_through_cache_rule", delete_pull_through_cache_rule)


def _ecr_error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


@shim
def cloudfront_response_headers_policies() -> None:
    """moto: CloudFront has no response headers policy API at all (HTTP 404)."""
    from moto.cloudfront import urls
    from moto.cloudfront.responses import CloudFrontResponse
    from moto.core.responses import ActionResult, EmptyResult

    base = "{0}/2020-05-31/response-headers-policy"
    urls.url_paths[base + "$"] = CloudFrontResponse.dispatch
    urls.url_paths[base + "/(?P<Id>[^/]+)$"] = CloudFrontResponse.dispatch
    urls.url_paths[base + "/(?P<Id>[^/]+)/config$"] = CloudFrontResponse.dispatch
    policies: dict[str, dict[str, Any]] = {}

    def _answer(policy_id: str) -> ActionResult:
        policy = policies[policy_id]
        return ActionResult(
            {
                "ResponseHeadersPolicy": {
                    "Id": policy_id,
                    "LastModifiedTime": policy["modified"],
                    "ResponseHeadersPolicyConfig": policy["config"],
                },
                "ETag": policy["etag"],
                "Location": f"https://cloudfront.amazonaws.com/2020-05-31/response-headers-policy/{policy_id}",
            }
        )

    def create_response_headers_policy(self: Any) -> ActionResult:
        policy_id = uuid.uuid4().hex[:14].upper()
        policies[policy_id] = {
            "config": self._get_param("ResponseHeadersPolicyConfig", {}),
            "etag": uuid.uuid4().hex[:13].upper(),
            "modified": datetime.now(UTC),
        }
        return _answer(policy_id)

    def get_response_headers_policy(self: Any) -> ActionResult:
        return _answer(self._get_param("Id"))

    def get_response_headers_policy_config(self: Any) -> ActionResult:
        policy = policies[self._get_param("Id")]
        return ActionResult(
            {"ResponseHeadersPolicyConfig": policy["config"], "ETag": policy["etag"]}
        )

    def update_response_headers_policy(self: Any) -> ActionResult:
        policy = policies[self._get_param("Id")]
        policy.update(
            config=self._get_param("ResponseHeadersPolicyConfig", {}),
            etag=uuid.uuid4().hex[:13].upper(),
            modified=datetime.now(UTC),
        )
        return _answer(self._get_param("Id"))

    def delete_response_headers_policy(self: Any) -> EmptyResult:
        policies.pop(self._get_param("Id"), None)
        return EmptyResult()

    for function in (
        create_response_headers_policy,
        get_response_headers_policy,
        get_response_headers_policy_config,
        update_response_headers_policy,
        delete_response_headers_policy,
    ):
        setattr(CloudFrontResponse, function.__name__, function)


@shim
def cloudfront_origin_access_control_id() -> None:
    """moto: a distribution's origins lose OriginAccessControlId on read-back, so every plan
    wants to set it again (perpetual diff)."""
    from moto.cloudfront.models import Origin

    original = Origin.__init__

    def init(self: Any, origin: dict[str, Any]) -> None:
        original(self, origin)
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""

    setattr(Origin, "__init__", init)


@shim
def ecs_service_settings() -> None:
    """moto: ECS services forget most of what CreateService/UpdateService set (capacity provider
    strategy, managed tags, grace period, availability zone rebalancing, Service Connect, ECS
    Exec), report
    launchType EC2 and a deployment controller nobody asked for: drift after every apply."""
    from moto.ecs.responses import EC2ContainerServiceResponse

    def remember(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def wrapper(self: Any) -> Any:
            result = original(self)
            service = result.result["service"]
            settings = {
                "capacity_provider_strategy": self._get_param("capacityProviderStrategy"),
                "enable_ecs_managed_tags": self._get_param("enableECSManagedTags"),
                "health_check_grace_period_seconds": self._get_param(
                    "healthCheckGracePeriodSeconds"
                ),
                "availability_zone_rebalancing": self._get_param("availabilityZoneRebalancing"),
                "deployment_configuration": self._get_param("deploymentConfiguration"),
                "enable_execute_command": self._get_param("enableExecuteCommand"),
            }
            for name, value in settings.items():
                if value is not None:
                    setattr(service, name, value)
            if not getattr(service, "availability_zone_rebalancing", None):
                service.availability_zone_rebalancing = "DISABLED"
            if service.__dict__.get("capacity_provider_strategy"):
                service.launch_type = None  # a capacity provider strategy replaces it
            if (
                self._get_param("deploymentController") is None
                and original.__name__ == "create_service"
            ):
                service.deployment_controller = None
            connect = self._get_param("serviceConnectConfiguration")
            if connect is not None:
                for offered in connect.get("services", []):
                    if not offered.get("ingressPortOverride"):
                        offered.pop("ingressPortOverride", None)
                service.netflux_service_connect = connect
            for deployment in service.deployments:
                if getattr(service, "netflux_service_connect", None) is not None:
                    deployment["serviceConnectConfiguration"] = service.netflux_service_connect
            return result

        return wrapper

    for name in ("create_service", "update_service"):
        setattr(
            EC2ContainerServiceResponse, name, remember(getattr(EC2ContainerServiceResponse, name))
        )


@shim
def rds_parameter_source() -> None:
    """moto: DescribeDBParameters returns the group's parameters without Source=user, and the
    provider keeps only user parameters, so every plan adds them again."""
    from moto.rds.models import DBParameterGroup

    original = DBParameterGroup.update_parameters

    def update_parameters(self: Any, new_parameters: Any) -> None:
        original(self, new_parameters)
        for parameter in self.parameters.values():
            parameter.setdefault("Source", "user")

    setattr(DBParameterGroup, "update_parameters", update_parameters)


@shim
def security_group_rule_descriptions() -> None:
    """moto: a rule that references another security group or a prefix list loses its
    description (moto reads it from the CIDR range only), so every plan sets it again."""
    from moto.ec2.models.security_groups import SecurityGroupRule

    original = SecurityGroupRule.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        prefix_list = kwargs.get("prefix_list_id") or (args[7] if len(args) > 7 else None)
        self.netflux_prefix_list_description = (prefix_list or {}).get("Description")

    def description(self: Any) -> str | None:
        return (
            self.ip_range.get("Description")
            or self.source_group.get("Description")
            or getattr(self, "netflux_prefix_list_description", None)
        )

    setattr(SecurityGroupRule, "__init__", init)
    setattr(SecurityGroupRule, "description", property(description))


@shim
def cloudfront_cache_policy_behaviours() -> None:
    """moto: cache behaviours that use a cache policy come back with legacy ForwardedValues
    defaults, which AWS omits, and the provider plans to remove them every time."""
    from moto.cloudfront.models import DefaultCacheBehaviour

    original = DefaultCacheBehaviour.__init__

    def init(self: Any, config: dict[str, Any]) -> None:
        original(self, config)
        if config.get("CachePolicyId") and not config.get("ForwardedValues"):
            self.forwarded_values = None

    setattr(DefaultCacheBehaviour, "__init__", init)


@shim
def cloudfront_default_certificate() -> None:
    """moto: with the default *.cloudfront.net certificate moto still reports an SSL support
    method (sni-only); AWS reports none, and the provider plans to remove it every time."""
    from moto.cloudfront.models import ViewerCertificate

    original = ViewerCertificate.__init__

    def init(self: Any, config: dict[str, Any]) -> None:
        original(self, config)
        if not config.get("SSLSupportMethod"):
            self.ssl_support_method = None

    setattr(ViewerCertificate, "__init__", init)


@shim
def s3_secure_transport_condition() -> None:
    """moto: bucket policies are evaluated without their conditions, so the usual
    "deny unless aws:SecureTransport" statement denies every object read (HTTP 403). Rehearsal
    traffic is plain HTTP on loopback; in AWS the provider always speaks HTTPS. The statement is
    left out of the evaluation only."""
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy.decode())
        document["Statement"] = [
            s
            for s in document.get("Statement", [])
            if "aws:SecureTransport" not in json.dumps(s.get("Condition", {}))
        ]
        return IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)

    setattr(FakeBucket, "get_permission", get_permission)


@shim
def s3_delete_marker_dispose() -> None:
    """moto: emptying a versioned bucket that holds delete markers fails with AttributeError
    (FakeDeleteMarker has no dispose()), so `force_destroy` buckets cannot be destroyed."""
    from moto.s3.models import FakeDeleteMarker

    def dispose(self: Any, garbage: bool = False) -> None:
        """A delete marker holds no data to release."""

    setattr(FakeDeleteMarker, "dispose", dispose)


@shim
def rds_performance_insights() -> None:
    """moto: DB instances drop EnablePerformanceInsights (and its retention), so prod, which
    enables them, plans to switch them on after every apply."""
    from moto.rds.responses import RDSResponse

    def remember(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def wrapper(self: Any) -> Any:
            result = original(self)
            instance = result.result["DBInstance"]
            enabled = self.params.get("EnablePerformanceInsights")
            if enabled is not None:
                instance.performance_insights_enabled = bool(enabled)
                if enabled:
                    retention = self.params.get("PerformanceInsightsRetentionPeriod") or 7
                    instance.performance_insights_retention_period = int(retention)
            return result

        return wrapper

    for name in ("create_db_instance", "modify_db_instance"):
        setattr(RDSResponse, name, remember(getattr(RDSResponse, name)))


@shim
def ecs_services_reach_steady_state() -> None:
    """moto: no task runs, so a new service's running count stays 0 and its deployment
    IN_PROGRESS (unless MOTO_ECS_SERVICE_RUNNING, one number for every service): the provider's
    `wait_for_steady_state` and ECS's services_stable waiter would wait forever. Reported as AWS
    reports a service whose desired tasks all started."""
    from moto.ecs.models import Service

    original_init = Service.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.running_count, self.pending_count = self.desired_count, 0
        for deployment in self.deployments:
            deployment.update(
                runningCount=self.desired_count, pendingCount=0, rolloutState="COMPLETED"
            )

    setattr(Service, "__init__", init)


@shim
def ecs_service_resource_authorization() -> None:
    """moto: with IAM enforced, every ECS call is authorized against Resource "*", so a policy
    that scopes ecs:DescribeServices/UpdateService to service ARNs (as the pipeline role does,
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html)
    is refused. These actions are authorized against the service's ARN instead (the first one
    named, for DescribeServices)."""
    from moto.ecs.responses import EC2ContainerServiceResponse

    def determine_resource(self: Any) -> str:
        action = self._get_action()
        if action not in {"DescribeServices", "UpdateService", "DeleteService"}:
            return "*"
        cluster = (self._get_param("cluster") or "default").rsplit("/", 1)[-1]
        services = self._get_param("services") or [self._get_param("service")]
        service = str(services[0] or "")
        if service.startswith("arn:"):
            return service
        return f"arn:aws:ecs:{self.region}:{self.current_account}:service/{cluster}/{service}"

    setattr(EC2ContainerServiceResponse, "_determine_resource", determine_resource)


@shim
def rds_read_replica_identity() -> None:
    """moto: a read replica is a shallow copy of its source, so it shares the source's
    DbiResourceId (moto gives every instance the same one; the provider finds an instance by it
    and sees two), its RDS-managed master secret (deleting the replica deletes the source's
    secret) and its backup retention. In AWS a replica is an instance of its own with the
    source's login, created without automated backups (the provider never sends a 0)."""
    from moto.rds.responses import RDSResponse

    original: Callable[[Any], Any] = RDSResponse.create_db_instance_read_replica

    def create_db_instance_read_replica(self: Any) -> Any:
        result = original(self)
        replica = result.result["DBInstance"]
        replica.dbi_resource_id = "db-" + uuid.uuid4().hex[:26].upper()
        if hasattr(replica, "master_user_secret"):
            del replica.master_user_secret
        replica.manage_master_user_password = False
        replica.backup_retention_period = 0
        return result

    setattr(RDSResponse, "create_db_instance_read_replica", create_db_instance_read_replica)
