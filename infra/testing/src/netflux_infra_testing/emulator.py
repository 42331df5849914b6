"""AwsProvider settings that point every stack at a local emulator (moto) for deploy rehearsals.

The rehearsal hands these to `build_app(provider_overrides=...)`; production synthesis never
sees this module.
"""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.provider import AwsProviderEndpoints

# Every AWS API the stacks call.
SERVICES = (
    "applicationautoscaling", "cloudfront", "cloudwatch", "codebuild", "codepipeline",
    "codestarconnections", "ec2", "ecr", "ecs", "elbv2", "iam", "kms", "logs", "rds", "s3",
    "secretsmanager", "servicediscovery", "sns", "sts",
)  # fmt: skip


def emulator_provider_settings(endpoint: str) -> dict[str, Any]:
    """Extra AwsProvider arguments for an emulator listening at `endpoint`."""
    return {
        "access_key": "rehearsal",
        "secret_key": "rehearsal",
        "skip_credentials_validation": True,
        "skip_metadata_api_check": "true",
        "skip_region_validation": True,
        # With the account id looked up, SG rules that reference another SG plan cleanly.
        "skip_requesting_account_id": False,
        "s3_use_path_style": True,
        # The default 25 retries turn one emulator 500 into many minutes of apparent hang.
        "max_retries": 2,
        "endpoints": [AwsProviderEndpoints(**dict.fromkeys(SERVICES, endpoint))],
    }
