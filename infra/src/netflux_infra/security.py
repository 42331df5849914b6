"""Security groups chained ALB -> APP -> DB, and the group of the VPC endpoints (network.py)."""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from netflux_catalogue import CONTAINER_PORT
from netflux_infra.config import EnvironmentConfig
from netflux_infra.network import ANYWHERE, Network

POSTGRES_PORT = 5432
HTTPS = 443


class SecurityGroups(Construct):
    def __init__(
        self, scope: Construct, id_: str, config: EnvironmentConfig, network: Network
    ) -> None:
        super().__init__(scope, id_)
        vpc_id = network.vpc.id
        prefix = config.names.prefix

        def group(name: str, description: str) -> SecurityGroup:
            return SecurityGroup(
                self,
                name,
                # create_before_destroy: the replacement exists beside the old group for a while,
                # so a fixed name would collide; a prefix gets a unique suffix.
                name_prefix=config.names.security_group_prefix(name),
                description=description,
                vpc_id=vpc_id,
                tags={"Name": f"{prefix}-{name}"},
                lifecycle={"create_before_destroy": True},
            )

        self.alb = group("alb", "Load balancer: admits only CloudFront")
        self.app = group("app", "Service tasks: admit only the load balancer and each other")
        self.db = group("db", "PostgreSQL: admits only the service tasks")
        self.endpoints = group("endpoints", "VPC interface endpoints: admit only the tasks")

        def rule(
            kind: type[VpcSecurityGroupIngressRule | VpcSecurityGroupEgressRule],
            sg: SecurityGroup,
            name: str,
            port: int,
            description: str,
            *,
            peer: SecurityGroup | None = None,
            prefix_list: str | None = None,
            cidr: str | None = None,
        ) -> None:
            direction = "in" if kind is VpcSecurityGroupIngressRule else "out"
            kind(
                self,
                f"{name}-{direction}",
                security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=description,
                referenced_security_group_id=peer.id if peer else None,
                prefix_list_id=prefix_list,
                cidr_ipv4=cidr,
            )

        def ingress(sg: SecurityGroup, name: str, port: int, description: str, **peer: Any) -> None:
            rule(VpcSecurityGroupIngressRule, sg, name, port, description, **peer)

        def egress(sg: SecurityGroup, name: str, port: int, description: str, **peer: Any) -> None:
            rule(VpcSecurityGroupEgressRule, sg, name, port, description, **peer)

        # CloudFront reaches the ALB on one port only: the origin-facing prefix list weighs ~55
        # entries against the default quota of 60 rules per group, so it fits once.
        alb_port = HTTPS if config.alb_certificate_arn else 80
        self.alb_listener_port = alb_port
        ingress(
            self.alb,
            "alb-from-cloudfront",
            alb_port,
            "CloudFront origin-facing servers",
            prefix_list=config.prefix_list_id,
        )
        egress(
            self.alb,
            "alb-to-app",
            CONTAINER_PORT,
            "To the service tasks",
            peer=self.app,
        )

        ingress(
            self.app,
            "app-from-alb",
            CONTAINER_PORT,
            "From the load balancer",
            peer=self.alb,
        )
        # Service Connect: customer-service calls movie-service task to task.
        ingress(
            self.app,
            "app-from-app",
            CONTAINER_PORT,
            "Service to service (Service Connect)",
            peer=self.app,
        )
        egress(
            self.app,
            "app-to-app",
            CONTAINER_PORT,
            "Service to service (Service Connect)",
            peer=self.app,
        )
        egress(
            self.app,
            "app-to-db",
            POSTGRES_PORT,
            "To PostgreSQL",
            peer=self.db,
        )
        # HTTPS out: AWS APIs through the endpoints, or through the NAT gateways when enabled.
        egress(self.app, "app-to-aws", HTTPS, "AWS APIs (endpoints or NAT)", cidr=ANYWHERE)

        ingress(
            self.db,
            "db-from-app",
            POSTGRES_PORT,
            "From the service tasks",
            peer=self.app,
        )
        ingress(
            self.endpoints,
            "endpoints-from-app",
            HTTPS,
            "From the service tasks",
            peer=self.app,
        )
