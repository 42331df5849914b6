"""VPC: 2 public, 2 private app and 2 private database subnets across two zones, and the VPC
endpoints that let tasks reach AWS APIs without a NAT gateway."""

from __future__ import annotations

import ipaddress

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.network_acl import NetworkAcl
from cdktf_cdktf_provider_aws.network_acl_rule import NetworkAclRule
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct

from netflux_infra.config import EnvironmentConfig
from netflux_infra.iam import assume_role, policy, statement

ANYWHERE = "0.0.0.0/0"
# AWS APIs the tasks call without internet access: image pulls, logs, secrets.
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager")


class Network(Construct):
    def __init__(self, scope: Construct, id_: str, config: EnvironmentConfig) -> None:
        super().__init__(scope, id_)
        prefix = config.names.prefix
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=config.vpc_cidr,
            enable_dns_hostnames=True,  # interface endpoints and Service Connect need DNS
            enable_dns_support=True,
            tags={"Name": prefix},
        )
        # The default security group admits nothing: every resource gets an explicit one.
        DefaultSecurityGroup(self, "default-sg", vpc_id=self.vpc.id)

        blocks = list(ipaddress.ip_network(config.vpc_cidr).subnets(new_prefix=20))
        zones = config.availability_zones

        def subnets(tier: str, offset: int) -> list[Subnet]:
            return [
                Subnet(
                    self,
                    f"{tier}-{i}",
                    vpc_id=self.vpc.id,
                    cidr_block=str(blocks[offset + i]),
                    availability_zone=az,
                    map_public_ip_on_launch=False,
                    tags={"Name": f"{prefix}-{tier}-{az}", "Tier": tier},
                )
                for i, az in enumerate(zones)
            ]

        self.public_subnets = subnets("public", 0)
        self.app_subnets = subnets("app", 2)
        self.db_subnets = subnets("db", 4)

        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": prefix})
        public_rt = RouteTable(
            self, "public-rt", vpc_id=self.vpc.id, tags={"Name": f"{prefix}-public"}
        )
        Route(
            self,
            "public-default",
            route_table_id=public_rt.id,
            destination_cidr_block=ANYWHERE,
            gateway_id=igw.id,
        )
        for i, subnet in enumerate(self.public_subnets):
            RouteTableAssociation(
                self, f"public-rta-{i}", subnet_id=subnet.id, route_table_id=public_rt.id
            )

        # Private tables hold only the VPC's local route, unless NAT gateways are switched on.
        self.app_route_tables = []
        for i, (subnet, az) in enumerate(zip(self.app_subnets, zones, strict=True)):
            rt = RouteTable(
                self, f"app-rt-{i}", vpc_id=self.vpc.id, tags={"Name": f"{prefix}-app-{az}"}
            )
            RouteTableAssociation(self, f"app-rta-{i}", subnet_id=subnet.id, route_table_id=rt.id)
            if config.nat_gateways:  # one per zone, so one zone's outage leaves the other online
                eip = Eip(self, f"nat-eip-{i}", domain="vpc", tags={"Name": f"{prefix}-nat-{az}"})
                nat = NatGateway(
                    self,
                    f"nat-{i}",
                    allocation_id=eip.id,
                    subnet_id=self.public_subnets[i].id,
                    tags={"Name": f"{prefix}-nat-{az}"},
                    depends_on=[igw],
                )
                Route(
                    self,
                    f"app-default-{i}",
                    route_table_id=rt.id,
                    destination_cidr_block=ANYWHERE,
                    nat_gateway_id=nat.id,
                )
            self.app_route_tables.append(rt)
        db_rt = RouteTable(self, "db-rt", vpc_id=self.vpc.id, tags={"Name": f"{prefix}-db"})
        for i, subnet in enumerate(self.db_subnets):
            RouteTableAssociation(self, f"db-rta-{i}", subnet_id=subnet.id, route_table_id=db_rt.id)

        self._public_acl(config)
        self._flow_logs(config)

    def _public_acl(self, config: EnvironmentConfig) -> None:
        """The public subnets admit web traffic and replies only. Client addresses are not
        blocked here: behind CloudFront the load balancer's peers are CloudFront's servers, so
        a rule on a client's address would never match; the stack's WAF blocks them
        (blocked_cidrs, edge_waf.py)."""
        acl = NetworkAcl(
            self,
            "public-acl",
            vpc_id=self.vpc.id,
            subnet_ids=[s.id for s in self.public_subnets],
            tags={"Name": f"{config.names.prefix}-public"},
        )
        allowed = [(80, 80), (443, 443), (1024, 65535)]  # HTTP, HTTPS, replies (ACLs are stateless)
        for n, (low, high) in enumerate(allowed):
            NetworkAclRule(
                self,
                f"allow-in-{n}",
                network_acl_id=acl.id,
                rule_number=100 + n,
                egress=False,
                protocol="tcp",
                rule_action="allow",
                cidr_block=ANYWHERE,
                from_port=low,
                to_port=high,
            )
        NetworkAclRule(
            self,
            "allow-out",
            network_acl_id=acl.id,
            rule_number=100,
            egress=True,
            protocol="-1",
            rule_action="allow",
            cidr_block=ANYWHERE,
        )

    def _flow_logs(self, config: EnvironmentConfig) -> None:
        group = CloudwatchLogGroup(
            self,
            "flow-logs",
            name=f"/vpc/{config.names.prefix}/flow-logs",
            retention_in_days=config.log_retention_days,
        )
        role = IamRole(
            self,
            "flow-logs-role",
            name=f"{config.names.prefix}-flow-logs",
            assume_role_policy=assume_role("vpc-flow-logs.amazonaws.com"),
        )
        IamRolePolicy(
            self,
            "flow-logs-policy",
            role=role.id,
            policy=policy(
                statement(
                    ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    [group.arn, f"{group.arn}:*"],
                )
            ),
        )
        FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination=group.arn,
            iam_role_arn=role.arn,
        )


class VpcEndpoints:
    """Interface endpoints for the AWS APIs the tasks call, and the S3 gateway endpoint, for an
    environment without NAT gateways.

    The resources go into the scope given: the environment's `security` construct, where they
    were created before they moved here. cdktf derives the Terraform address from the construct
    path, so another scope would replace every endpoint.
    """

    def __init__(
        self,
        scope: Construct,
        config: EnvironmentConfig,
        network: Network,
        security_group_id: str,
        extra_services: tuple[str, ...] = (),  # what optional features call (ECS Exec, X-Ray)
    ) -> None:
        for service in INTERFACE_ENDPOINTS + extra_services:
            VpcEndpoint(
                scope,
                f"endpoint-{service.replace('.', '-')}",
                vpc_id=network.vpc.id,
                service_name=f"com.amazonaws.{config.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in network.app_subnets],
                security_group_ids=[security_group_id],
                tags={"Name": f"{config.names.prefix}-{service}"},
            )
        # ECR stores image layers in S3: a (free) gateway endpoint on the app route tables.
        VpcEndpoint(
            scope,
            "endpoint-s3",
            vpc_id=network.vpc.id,
            service_name=f"com.amazonaws.{config.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in network.app_route_tables],
            tags={"Name": f"{config.names.prefix}-s3"},
        )
