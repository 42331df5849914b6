"""S3 buckets: the private web-site bucket and the access-log bucket, both locked down."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA
from constructs import Construct

# The account that writes ALB access logs, per region (regions opened before August 2022).
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-2": "797873946194",
    "eu-west-1": "156460612806",
    "eu-central-1": "054676820928",
}


class PrivateBucket(Construct):
    """Encrypted, versioned, never public; old versions and broken uploads expire."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name_prefix: str,
        ownership: str = "BucketOwnerEnforced",
        log_bucket: S3Bucket | None = None,
        expire_days: int | None = None,
        force_destroy: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        self.bucket = S3Bucket(
            self, "bucket", bucket_prefix=name_prefix, force_destroy=force_destroy
        )
        self.log_prefix = f"s3/{name_prefix}"  # where its access logs land in the log bucket
        bucket_id = self.bucket.id
        S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(
            self, "ownership", bucket=bucket_id, rule={"object_ownership": ownership}
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket_id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="AES256"
                    )
                )
            ],
        )
        S3BucketVersioningA(
            self, "versioning", bucket=bucket_id, versioning_configuration={"status": "Enabled"}
        )
        everything = [S3BucketLifecycleConfigurationRuleFilter(prefix="")]
        rules = [
            S3BucketLifecycleConfigurationRule(
                id="tidy",
                status="Enabled",
                filter=everything,
                abort_incomplete_multipart_upload=[
                    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                        days_after_initiation=7
                    )
                ],
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                        noncurrent_days=30
                    )
                ],
            )
        ]
        if expire_days:
            rules.append(
                S3BucketLifecycleConfigurationRule(
                    id="expire",
                    status="Enabled",
                    filter=everything,
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=expire_days)],
                )
            )
        S3BucketLifecycleConfiguration(self, "lifecycle", bucket=bucket_id, rule=rules)
        self.logging: S3BucketLoggingA | None = None
        if log_bucket is not None:
            self.logging = S3BucketLoggingA(
                self,
                "logging",
                bucket=bucket_id,
                target_bucket=log_bucket.id,
                target_prefix=self.log_prefix,
            )


def deny_plain_http(bucket_arn: str) -> dict[str, object]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def access_log_delivery(log_bucket: S3Bucket, source: PrivateBucket) -> dict[str, object]:
    """Lets S3 server access logging write `source`'s logs into `log_bucket` (owner-enforced
    buckets take no ACL grants, so a policy statement is the only way)."""
    return {
        "Sid": "S3AccessLogs" + "".join(c for c in source.node.id.title() if c.isalnum()),
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{log_bucket.arn}/{source.log_prefix}*",
        "Condition": {"ArnLike": {"aws:SourceArn": source.bucket.arn}},
    }


def bucket_policy(
    scope: Construct, id_: str, bucket: S3Bucket, *statements: dict[str, object]
) -> S3BucketPolicy:
    """The bucket's policy: the given grants, and no access over plain HTTP."""
    document = {"Version": "2012-10-17", "Statement": [*statements, deny_plain_http(bucket.arn)]}
    return S3BucketPolicy(scope, id_, bucket=bucket.id, policy=json.dumps(document))


def log_into(
    log_bucket: S3Bucket,
    source: PrivateBucket,
    scope: Construct,
    id_: str,
    *grants: dict[str, object],
) -> S3BucketPolicy:
    """The log bucket's policy admitting `source`'s access logs (plus other grants); the source
    enables logging only once S3 may deliver, as S3 checks that when logging is switched on."""
    policy = bucket_policy(scope, id_, log_bucket, access_log_delivery(log_bucket, source), *grants)
    if source.logging is not None:
        resource = f"{policy.terraform_resource_type}.{policy.friendly_unique_id}"
        source.logging.add_override("depends_on", [resource])
    return policy
