"""CloudFront in front of everything: the site bucket by default, the load balancer for /api/,
security headers on both."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudfront_distribution import (
    CloudfrontDistribution,
    CloudfrontDistributionOrderedCacheBehavior,
    CloudfrontDistributionOrigin,
    CloudfrontDistributionOriginCustomHeader,
)
from cdktf_cdktf_provider_aws.cloudfront_origin_access_control import (
    CloudfrontOriginAccessControl,
)
from cdktf_cdktf_provider_aws.cloudfront_response_headers_policy import (
    CloudfrontResponseHeadersPolicy,
)
from constructs import Construct

from netflux_catalogue import API_PREFIX, SERVICES
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
USE_ORIGIN_CACHE_CONTROL_QUERY_STRINGS = "4cc15a8a-d715-48a4-82b8-cc0b614638fe"


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
        origin_header: str,
        origin_secret_value: str,
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
                    # The load balancer forwards only requests that carry it (origin_secret.py).
                    custom_header=[
                        CloudfrontDistributionOriginCustomHeader(
                            name=origin_header, value=origin_secret_value
                        )
                    ],
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
            # First match wins: the cacheable reads of a service before the catch-all /api/*.
            ordered_cache_behavior=[
                *self._revalidated_behaviours(headers.id),
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
                ),
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

    def _revalidated_behaviours(
        self, headers_policy_id: str
    ) -> list[CloudfrontDistributionOrderedCacheBehavior]:
        """Behaviours for services whose reads carry ETags, on the managed policy
        UseOriginCacheControlHeaders-QueryStrings: TTLs from the origin (minimum and default 0),
        every query string in the cache key. With the origin's `max-age=0, must-revalidate`
        CloudFront keeps a copy and checks it with the origin on every request, which answers a
        cheap 304 while nothing changed
        (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html;
        https://repost.aws/knowledge-center/cloudfront-cache-files-time: with TTLs of 0
        "CloudFront always verifies that it has the most recent content"). The emulator cannot
        show CloudFront's caching; only the synthesized settings are tested.
        """
        return [
            CloudfrontDistributionOrderedCacheBehavior(
                path_pattern=pattern,
                target_origin_id="api",
                viewer_protocol_policy="redirect-to-https",
                # Every method reaches the service, which answers what it does not allow with a
                # 405 problem (as the local edges do); only GET and HEAD are cached.
                allowed_methods=["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                cached_methods=["GET", "HEAD"],
                cache_policy_id=USE_ORIGIN_CACHE_CONTROL_QUERY_STRINGS,
                response_headers_policy_id=headers_policy_id,
                compress=True,
            )
            for service in SERVICES
            if service.revalidated_reads
            for pattern in service.path_patterns
        ]
