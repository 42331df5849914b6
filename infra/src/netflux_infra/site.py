"""The web site's bucket, published from web/, and the edge's access-log bucket."""

from __future__ import annotations

import re
from pathlib import Path

from cdktf import AssetType, Fn, TerraformAsset
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_object import S3Object
from constructs import Construct

from netflux_catalogue.edge import is_published
from netflux_infra.buckets import ELB_LOG_ACCOUNTS, PrivateBucket, bucket_policy, log_into
from netflux_infra.naming import EnvironmentNames

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


class Site:
    """The site bucket and the log bucket that the load balancer, CloudFront and the site bucket
    write to. Its resources go into the given scope (see `edge.py`: addresses stay put)."""

    def __init__(
        self, scope: Construct, names: EnvironmentNames, *, region: str, force_destroy: bool
    ) -> None:
        self._scope = scope
        self.logs = PrivateBucket(
            scope,
            "logs",
            name_prefix=names.bucket_prefix("logs"),
            ownership="BucketOwnerPreferred",
            expire_days=90,
            force_destroy=force_destroy,
        ).bucket
        self.site_bucket = PrivateBucket(
            scope,
            "site",
            name_prefix=names.bucket_prefix("web"),
            log_bucket=self.logs,
            force_destroy=force_destroy,
        )
        self.bucket = self.site_bucket.bucket
        # The ALB checks at creation that it may write its logs: it depends on this policy.
        self.logs_policy = self._logs_policy(region)
        self._publish()

    def admit_distribution(self, distribution_arn: str) -> S3BucketPolicy:
        """The site bucket's policy: reads by this CloudFront distribution only."""
        return bucket_policy(
            self._scope,
            "site-policy",
            self.bucket,
            {
                "Sid": "CloudFrontReadsThroughOAC",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"{self.bucket.arn}/*",
                # Only this distribution, not any CloudFront distribution.
                "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
            },
        )

    def _publish(self) -> None:
        """The deployment uploads web/: every file an object, re-uploaded when its hash changes.

        `no-cache` makes CloudFront revalidate with S3 on each request, so a deploy is visible at
        once without an invalidation (the files are small; S3 answers 304 when unchanged).
        """
        asset = TerraformAsset(self._scope, "web", path=str(WEB_DIR), type=AssetType.DIRECTORY)
        for file in sorted(p for p in WEB_DIR.rglob("*") if p.is_file()):
            key = file.relative_to(WEB_DIR).as_posix()
            if not is_published(key):  # dotfiles (an editor's .swp, a stray .env) stay local
                continue
            source = f"{asset.path}/{key}"
            S3Object(
                self._scope,
                "web-" + re.sub(r"[^A-Za-z0-9-]", "-", key),
                bucket=self.bucket.id,
                key=key,
                source=source,
                etag=Fn.filemd5(source),
                content_type=CONTENT_TYPES.get(file.suffix, "application/octet-stream"),
                cache_control="no-cache",
            )

    def _logs_policy(self, region: str) -> S3BucketPolicy:
        elb_account = ELB_LOG_ACCOUNTS.get(region)
        writer = (
            {"AWS": f"arn:aws:iam::{elb_account}:root"}
            if elb_account
            else {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
        )
        return log_into(
            self.logs,
            self.site_bucket,
            self._scope,
            "logs-policy",
            {
                "Sid": "AlbAccessLogs",
                "Effect": "Allow",
                "Principal": writer,
                "Action": "s3:PutObject",
                "Resource": f"{self.logs.arn}/alb/*",
            },
        )
