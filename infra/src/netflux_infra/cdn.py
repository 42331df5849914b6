"""CloudFront in front of everything: the site bucket by default, the load balancer for /api/,
security headers on both."""

from __future__ import annotations

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
from constructs import Construct

from netflux_catalogue import API_PREFIX
from netflux_catalogue.edge import (
    CONTENT_SECURITY_POLICY,
    FRAME_OPTIONS,
    HSTS_MAX_AGE_SECONDS,
    REFERRER_POLICY,
)
from netflux_infra.naming import EnvironmentNames

# AWS-managed CloudFront policies (global, fixed ids).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"  # every header, cookie and query string


class Cdn:
    """Its resources go into the given scope (see `edge.py`: addresses stay put)."""

    def __init__(
        self,
        scope: Construct,
        names: EnvironmentNames,
        *,
        site_domain: str,
        api_domain: str,
        api_over_https: bool,
        log_bucket_domain: str,
        domain_name: str | None,
        certificate_arn: str | None,
        web_acl_arn: str | None,
    ) -> None:
        prefix = names.prefix
        self.oac = CloudfrontOriginAccessControl(
            scope,
            "oac",
            name=f"{prefix}-site",
            description="CloudFront signs its requests to the site bucket",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
        )
        headers = CloudfrontResponseHeadersPolicy(
            scope,
            "security-headers",
            name=f"{prefix}-security-headers",
            comment="Security headers on every answer, site and API alike",
            security_headers_config={
                "strict_transport_security": {
                    "access_control_max_age_sec": HSTS_MAX_AGE_SECONDS,
                    "include_subdomains": True,
                    "preload": True,
                    "override": True,
                },
                "content_type_options": {"override": True},
                "frame_options": {"frame_option": FRAME_OPTIONS, "override": True},
                "referrer_policy": {
                    "referrer_policy": REFERRER_POLICY,
                    "override": True,
                },
                "content_security_policy": {
                    "content_security_policy": CONTENT_SECURITY_POLICY,
                    "override": False,
                },
            },
        )
        self.distribution = CloudfrontDistribution(
            scope,
            "cdn",
            enabled=True,
            comment=f"Netflux {names.environment}",
            default_root_object="index.html",
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class="PriceClass_100",
            aliases=[domain_name] if domain_name else None,
            web_acl_id=web_acl_arn,
            origin=[
                CloudfrontDistributionOrigin(
                    origin_id="site",
                    domain_name=site_domain,
                    origin_access_control_id=self.oac.id,
                ),
                CloudfrontDistributionOrigin(
                    origin_id="api",
                    domain_name=api_domain,
                    custom_origin_config={
                        "http_port": 80,
                        "https_port": 443,
                        "origin_protocol_policy": "https-only" if api_over_https else "http-only",
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
                    "acm_certificate_arn": certificate_arn,
                    "ssl_support_method": "sni-only",
                    "minimum_protocol_version": "TLSv1.2_2021",
                }
                if certificate_arn is not None
                else {"cloudfront_default_certificate": True}
            ),
            logging_config={"bucket": log_bucket_domain, "prefix": "cloudfront/"},
        )
