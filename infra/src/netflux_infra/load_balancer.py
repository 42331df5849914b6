"""The application load balancer: one target group per service, path rules from the catalogue's
routing table, a problem+json 404 for every other /api/ path, and a 403 for any request that
does not carry CloudFront's origin secret (origin_secret.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction
from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleCondition,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from constructs import Construct

from netflux_catalogue import (
    CONTAINER_PORT,
    HEALTH_PATH,
    NOT_FOUND_PROBLEM,
    SERVICES,
    problem_body,
    routes,
)
from netflux_catalogue.edge import ALB_IDLE_TIMEOUT_SECONDS
from netflux_infra.naming import EnvironmentNames, short_name

FORBIDDEN = problem_body(403, "Forbidden", "Requests reach the API through the site only")
# Listener rules are evaluated from the lowest priority number; 50000 is the highest allowed
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html).
LAST_PRIORITY = 50000


def fixed(problem: dict[str, Any]) -> dict[str, str]:
    """A fixed response carrying a problem. ALB cannot send application/problem+json (its
    content types are a fixed list); the body is still the problem."""
    return {
        "content_type": "application/json",
        "message_body": json.dumps(problem),
        "status_code": str(problem["status"]),
    }


class LoadBalancer:
    """Its resources go into the given scope (see `edge.py`: addresses stay put)."""

    def __init__(
        self,
        scope: Construct,
        names: EnvironmentNames,
        *,
        vpc_id: str,
        subnet_ids: Sequence[str],
        security_group_id: str,
        listener_port: int,
        certificate_arn: str | None,
        log_bucket_id: str,
        origin_header: str,
        origin_secret_value: str,
        deletion_protection: bool,
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        self.alb = Lb(
            scope,
            "alb",
            name=names.load_balancer,
            load_balancer_type="application",
            internal=False,
            security_groups=[security_group_id],
            subnets=list(subnet_ids),
            drop_invalid_header_fields=True,
            # Explicit, and below the services' keep-alive (netflux_catalogue.edge explains why).
            idle_timeout=ALB_IDLE_TIMEOUT_SECONDS,
            enable_deletion_protection=deletion_protection,
            access_logs={"bucket": log_bucket_id, "prefix": "alb", "enabled": True},
            depends_on=list(depends_on) or None,
        )
        self.target_groups: dict[str, LbTargetGroup] = {}
        for spec in SERVICES:
            self.target_groups[spec.name] = LbTargetGroup(
                scope,
                f"tg-{short_name(spec.name)}",
                # create_before_destroy: a prefix, so the replacement's name cannot collide.
                name_prefix=names.target_group_prefix(spec.name),
                tags={"Name": names.target_group(spec.name)},
                port=CONTAINER_PORT,
                protocol="HTTP",
                target_type="ip",  # Fargate tasks register by IP
                vpc_id=vpc_id,
                deregistration_delay="15",  # requests are short; drain quickly on deploys
                health_check={
                    "path": HEALTH_PATH,
                    "port": "traffic-port",
                    "protocol": "HTTP",
                    "matcher": "200",
                    "interval": 30,
                    "timeout": 5,
                    "healthy_threshold": 3,
                    "unhealthy_threshold": 3,
                },
                lifecycle={"create_before_destroy": True},
            )

        https = certificate_arn is not None
        # Only requests that carry CloudFront's secret header reach a rule; anything else that
        # gets through the prefix list (another account's distribution) is refused by default.
        from_cloudfront = LbListenerRuleCondition(
            http_header={"http_header_name": origin_header, "values": [origin_secret_value]}
        )
        self.listener = LbListener(
            scope,
            "listener",
            load_balancer_arn=self.alb.arn,
            port=listener_port,
            protocol="HTTPS" if https else "HTTP",
            certificate_arn=certificate_arn,
            ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06" if https else None,
            default_action=[
                LbListenerDefaultAction(type="fixed-response", fixed_response=fixed(FORBIDDEN))
            ],
        )
        for route in routes():
            LbListenerRule(
                scope,
                f"rule-{route.service}",
                listener_arn=self.listener.arn,
                priority=route.priority,
                condition=[
                    LbListenerRuleCondition(path_pattern={"values": list(route.path_patterns)}),
                    from_cloudfront,
                ],
                action=[
                    LbListenerRuleAction(
                        type="forward", target_group_arn=self.target_groups[route.service].arn
                    )
                ],
            )
        # Every other path CloudFront sends: the problem+json 404 (the last rule of all).
        LbListenerRule(
            scope,
            "rule-not-found",
            listener_arn=self.listener.arn,
            priority=LAST_PRIORITY,
            condition=[from_cloudfront],
            action=[
                LbListenerRuleAction(type="fixed-response", fixed_response=fixed(NOT_FOUND_PROBLEM))
            ],
        )
