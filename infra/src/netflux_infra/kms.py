"""The environment's customer-managed KMS keys: rotated, with the environment's deletion window,
administered by the account through IAM, an alias, and a policy admitting the service that
encrypts with it."""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from netflux_infra.config import EnvironmentConfig
from netflux_infra.iam import account_key_policy


def customer_key(
    scope: Construct,
    id_: str,
    config: EnvironmentConfig,
    *,
    account_id: str,
    description: str,
    alias: str,
    alias_id: str,
    service_statements: tuple[dict[str, Any], ...],
) -> KmsKey:
    key = KmsKey(
        scope,
        id_,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=config.retention.kms_deletion_window_days,
        policy=account_key_policy(account_id, *service_statements),
    )
    KmsAlias(scope, alias_id, name=alias, target_key_id=key.key_id)
    return key
