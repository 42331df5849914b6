"""The public edge: the site (site.py), the load balancer (load_balancer.py) and CloudFront in
front of both (cdn.py), routed by `routing.py`; the secret header CloudFront proves itself with
(origin_secret.py) and, with `waf`, a web ACL (edge_waf.py).

The three modules put their resources into this one `edge` construct rather than constructs of
their own: cdktf derives each Terraform address from the construct path, and these resources
lived here when one file held them all. A new level would rename every address, and Terraform
would replace the load balancer, the buckets and the distribution.
"""

from __future__ import annotations

from cdktf import TerraformProvider
from constructs import Construct

from netflux_infra.cdn import Cdn
from netflux_infra.config import EnvironmentConfig
from netflux_infra.edge_waf import EdgeWaf
from netflux_infra.load_balancer import LoadBalancer
from netflux_infra.network import Network
from netflux_infra.origin_secret import ORIGIN_VERIFY_HEADER, OriginSecret
from netflux_infra.security import SecurityGroups
from netflux_infra.site import Site


class Edge(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        network: Network,
        security: SecurityGroups,
        *,
        us_east_1: TerraformProvider | None = None,  # for the WAF when the region is another
    ) -> None:
        super().__init__(scope, id_)
        names, retention = config.names, config.retention
        self.origin_secret = OriginSecret(
            self, names, recovery_days=retention.secret_recovery_window_days
        )
        self.site = Site(
            self, names, region=config.region, force_destroy=retention.bucket_force_destroy
        )
        self.load_balancer = LoadBalancer(
            self,
            names,
            vpc_id=network.vpc.id,
            subnet_ids=[s.id for s in network.public_subnets],
            security_group_id=security.alb.id,
            listener_port=security.alb_listener_port,
            certificate_arn=config.alb_certificate_arn,
            log_bucket_id=self.site.logs.id,
            deletion_protection=retention.load_balancer_deletion_protection,
            origin_header=ORIGIN_VERIFY_HEADER,
            origin_secret_value=self.origin_secret.value,
            depends_on=[self.site.logs_policy],
        )
        self.waf = (
            EdgeWaf(
                self,
                names,
                blocked_cidrs=config.blocked_cidrs,
                rate_limit=config.waf_rate_limit,
                provider=us_east_1,
            )
            if config.waf
            else None
        )
        self.cdn = Cdn(
            self,
            names,
            site_domain=self.site.bucket.bucket_regional_domain_name,
            api_domain=config.alb_origin_domain or self.load_balancer.alb.dns_name,
            api_over_https=config.alb_certificate_arn is not None,
            log_bucket_domain=self.site.logs.bucket_domain_name,
            domain_name=config.domain_name,
            certificate_arn=config.certificate_arn,
            web_acl_arn=self.waf.web_acl.arn if self.waf else config.web_acl_arn,
            origin_header=ORIGIN_VERIFY_HEADER,
            origin_secret_value=self.origin_secret.value,
        )
        self.site.admit_distribution(self.cdn.distribution.arn)
