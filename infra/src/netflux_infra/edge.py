"""The public edge: ALB (API) and S3 + CloudFront (web site), routed by `routing.py`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cdktf import AssetType, Fn, TerraformAsset
from cdktf_cdktf_provider_aws.cloudfront_distribution import (
    CloudfrontDistribution,
    CloudfrontDistributionOrderedCacheBehavior,
    CloudfrontDistributionOrigin,
)
from cdktf_cdktf_provider_aws.cloudfront_origin_access_control import (
    CloudfrontOriginAccessControl,
)
from cdktf_cdktf_provider_aws.cloudfront_response_headers_policy import (
    CloudfrontResponseHeadersPolicy,
)
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction
from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleCondition,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_object import S3Object
from constructs import Construct

from netflux_infra.buckets import (
    ELB_LOG_ACCOUNTS,
    PrivateBucket,
    bucket_policy,
    log_into,
)
from netflux_infra.config import EnvironmentConfig
from netflux_infra.network import Network
from netflux_infra.routing import API_PREFIX, NOT_FOUND_PROBLEM, SERVICE_ROUTES
from netflux_infra.security import SecurityGroups
from netflux_infra.services import CONTAINER_PORT, HEALTH_PATH, SERVICES

WEB_DIR = Path(__file__).resolve().parents[3] / "web"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}

# AWS-managed CloudFront policies (global, fixed ids).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"  # every header, cookie and query string


class Edge(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        network: Network,
        security: SecurityGroups,
    ) -> None:
        super().__init__(scope, id_)
        prefix = config.prefix
        throwaway = not config.db_deletion_protection  # staging buckets may be emptied on destroy

        self.logs = PrivateBucket(
            self,
            "logs",
            name_prefix=f"{prefix}-logs-",
            ownership="BucketOwnerPreferred",
            expire_days=90,
            force_destroy=throwaway,
        ).bucket
        self.site_bucket = PrivateBucket(
            self,
            "site",
            name_prefix=f"{prefix}-web-",
            log_bucket=self.logs,
            force_destroy=throwaway,
        )
        self.site = self.site_bucket.bucket

        # The ALB checks at creation that it may write its logs: the policy comes first.
        logs_policy = self._logs_policy(config)
        self._load_balancer(config, network, security, logs_policy)
        self._distribution(config)
        self._site_policy()
        self._publish_site()

    def _load_balancer(
        self,
        config: EnvironmentConfig,
        network: Network,
        security: SecurityGroups,
        logs_policy: S3BucketPolicy,
    ) -> None:
        prefix = config.prefix
        self.alb = Lb(
            self,
            "alb",
            name=prefix,
            load_balancer_type="application",
            internal=False,
            security_groups=[security.alb.id],
            subnets=[s.id for s in network.public_subnets],
            drop_invalid_header_fields=True,
            enable_deletion_protection=config.db_deletion_protection,
            access_logs={"bucket": self.logs.id, "prefix": "alb", "enabled": True},
            depends_on=[logs_policy],
        )
        self.target_groups: dict[str, LbTargetGroup] = {}
        for spec in SERVICES:
            self.target_groups[spec.name] = LbTargetGroup(
                self,
                f"tg-{spec.short}",
                name=f"{prefix}-{spec.short}",
                port=CONTAINER_PORT,
                protocol="HTTP",
                target_type="ip",  # Fargate tasks register by IP
                vpc_id=network.vpc.id,
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

        https = config.alb_certificate_arn is not None
        self.listener = LbListener(
            self,
            "listener",
            load_balancer_arn=self.alb.arn,
            port=security.alb_listener_port,
            protocol="HTTPS" if https else "HTTP",
            certificate_arn=config.alb_certificate_arn,
            ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06" if https else None,
            default_action=[
                LbListenerDefaultAction(
                    type="fixed-response",
                    # ALB cannot send application/problem+json; the body is still a problem.
                    fixed_response={
                        "content_type": "application/json",
                        "message_body": json.dumps(NOT_FOUND_PROBLEM),
                        "status_code": "404",
                    },
                )
            ],
        )
        for route in SERVICE_ROUTES:
            LbListenerRule(
                self,
                f"rule-{route.service}",
                listener_arn=self.listener.arn,
                priority=route.priority,
                condition=[
                    LbListenerRuleCondition(path_pattern={"values": list(route.path_patterns)})
                ],
                action=[
                    LbListenerRuleAction(
                        type="forward", target_group_arn=self.target_groups[route.service].arn
                    )
                ],
            )

    def _distribution(self, config: EnvironmentConfig) -> None:
        self.oac = CloudfrontOriginAccessControl(
            self,
            "oac",
            name=f"{config.prefix}-site",
            description="CloudFront signs its requests to the site bucket",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
        )
        headers = CloudfrontResponseHeadersPolicy(
            self,
            "security-headers",
            name=f"{config.prefix}-security-headers",
            comment="Security headers on every answer, site and API alike",
            security_headers_config={
                "strict_transport_security": {
                    "access_control_max_age_sec": 63072000,
                    "include_subdomains": True,
                    "preload": True,
                    "override": True,
                },
                "content_type_options": {"override": True},
                "frame_options": {"frame_option": "DENY", "override": True},
                "referrer_policy": {
                    "referrer_policy": "strict-origin-when-cross-origin",
                    "override": True,
                },
                "content_security_policy": {
                    # The page is self-contained: its own scripts and same-origin API calls only.
                    "content_security_policy": (
                        "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                        "frame-ancestors 'none'; base-uri 'self'"
                    ),
                    "override": False,
                },
            },
        )
        https_origin = config.alb_certificate_arn is not None
        custom_cert = config.certificate_arn is not None
        self.distribution = CloudfrontDistribution(
            self,
            "cdn",
            enabled=True,
            comment=f"Netflux {config.name}",
            default_root_object="index.html",
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class="PriceClass_100",
            aliases=[config.domain_name] if config.domain_name else None,
            web_acl_id=config.web_acl_arn,
            origin=[
                CloudfrontDistributionOrigin(
                    origin_id="site",
                    domain_name=self.site.bucket_regional_domain_name,
                    origin_access_control_id=self.oac.id,
                ),
                CloudfrontDistributionOrigin(
                    origin_id="api",
                    domain_name=config.alb_origin_domain or self.alb.dns_name,
                    custom_origin_config={
                        "http_port": 80,
                        "https_port": 443,
                        "origin_protocol_policy": "https-only" if https_origin else "http-only",
                        "origin_ssl_protocols": ["TLSv1.2"],
                    },
                ),
            ],
            default_cache_behavior={
                "target_origin_id": "site",
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD", "OPTIONS"],
                "cached_methods": ["GET", "HEAD"],
                "cache_policy_id": CACHING_OPTIMIZED,
                "response_headers_policy_id": headers.id,
                "compress": True,
            },
            ordered_cache_behavior=[
                CloudfrontDistributionOrderedCacheBehavior(
                    path_pattern=f"{API_PREFIX}*",
                    target_origin_id="api",
                    viewer_protocol_policy="redirect-to-https",
                    allowed_methods=["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                    cached_methods=["GET", "HEAD"],
                    cache_policy_id=CACHING_DISABLED,
                    origin_request_policy_id=ALL_VIEWER,
                    response_headers_policy_id=headers.id,
                    compress=True,
                )
            ],
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=(
                {
                    "acm_certificate_arn": config.certificate_arn,
                    "ssl_support_method": "sni-only",
                    "minimum_protocol_version": "TLSv1.2_2021",
                }
                if custom_cert
                else {"cloudfront_default_certificate": True}
            ),
            logging_config={"bucket": self.logs.bucket_domain_name, "prefix": "cloudfront/"},
        )

    def _publish_site(self) -> None:
        """The deployment uploads web/: every file an object, re-uploaded when its hash changes.

        `no-cache` makes CloudFront revalidate with S3 on each request, so a deploy is visible at
        once without an invalidation (the files are small; S3 answers 304 when unchanged).
        """
        asset = TerraformAsset(self, "web", path=str(WEB_DIR), type=AssetType.DIRECTORY)
        for file in sorted(p for p in WEB_DIR.rglob("*") if p.is_file()):
            key = file.relative_to(WEB_DIR).as_posix()
            source = f"{asset.path}/{key}"
            S3Object(
                self,
                "web-" + re.sub(r"[^A-Za-z0-9-]", "-", key),
                bucket=self.site.id,
                key=key,
                source=source,
                etag=Fn.filemd5(source),
                content_type=CONTENT_TYPES.get(file.suffix, "application/octet-stream"),
                cache_control="no-cache",
            )

    def _site_policy(self) -> None:
        bucket_policy(
            self,
            "site-policy",
            self.site,
            {
                "Sid": "CloudFrontReadsThroughOAC",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"{self.site.arn}/*",
                # Only this distribution, not any CloudFront distribution.
                "Condition": {"StringEquals": {"AWS:SourceArn": self.distribution.arn}},
            },
        )

    def _logs_policy(self, config: EnvironmentConfig) -> S3BucketPolicy:
        elb_account = ELB_LOG_ACCOUNTS.get(config.region)
        writer = (
            {"AWS": f"arn:aws:iam::{elb_account}:root"}
            if elb_account
            else {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
        )
        return log_into(
            self.logs,
            self.site_bucket,
            self,
            "logs-policy",
            {
                "Sid": "AlbAccessLogs",
                "Effect": "Allow",
                "Principal": writer,
                "Action": "s3:PutObject",
                "Resource": f"{self.logs.arn}/alb/*",
            },
        )
