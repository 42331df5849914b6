"""ECR: one repository per service; immutable tags, scanned on push, old images expire. And the
pull-through cache of ECR Public the init containers' PostgreSQL image comes through."""

from __future__ import annotations

import json
from typing import Any

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_pull_through_cache_rule import EcrPullThroughCacheRule
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
)
from constructs import Construct

from netflux_catalogue import SERVICES
from netflux_infra.config import EnvironmentConfig
from netflux_infra.iam import ECR_PULL, statement

POSTGRES_IMAGE = "docker/library/postgres:16-alpine"  # under public.ecr.aws

LIFECYCLE = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Untagged layers go after a week",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 7,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": "Keep the 30 newest images (enough to roll back)",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": 30,
                },
                "action": {"type": "expire"},
            },
        ]
    }
)


class Registry(Construct):
    def __init__(self, scope: Construct, id_: str, config: EnvironmentConfig) -> None:
        super().__init__(scope, id_)
        self.repositories: dict[str, EcrRepository] = {}
        for spec in SERVICES:
            repo = EcrRepository(
                self,
                spec.short,
                name=config.names.repository(spec.name),
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration={"scan_on_push": True},
                encryption_configuration=[
                    EcrRepositoryEncryptionConfiguration(encryption_type="AES256")
                ],
                force_delete=config.retention.repository_force_delete,
            )
            EcrLifecyclePolicy(
                self, f"{spec.short}-lifecycle", repository=repo.name, policy=LIFECYCLE
            )
            self.repositories[spec.name] = repo

    @property
    def account_id(self) -> str:
        """The account, from a repository's registry id (the account's id, per
        https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Repository.html): no
        account id in code and no data source that needs AWS at plan time."""
        return next(iter(self.repositories.values())).registry_id

    def host(self, region: str) -> str:
        """The account's registry, where pull-through caches serve their images too."""
        return f"{self.account_id}.dkr.ecr.{region}.amazonaws.com"


class PullThroughCache(Construct):
    """ECR Public through the account's registry: tasks have no internet access
    (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html)."""

    def __init__(
        self, scope: Construct, id_: str, config: EnvironmentConfig, registry: Registry
    ) -> None:
        super().__init__(scope, id_)
        cache_prefix = config.names.ecr_public_cache
        EcrPullThroughCacheRule(
            self,
            "cache",
            ecr_repository_prefix=cache_prefix,
            upstream_registry_url="public.ecr.aws",
        )
        self.postgres_image = f"{registry.host(config.region)}/{cache_prefix}/{POSTGRES_IMAGE}"
        # What a task's execution role needs to pull through it: the first pull creates the
        # cached repository (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html).
        self.pull_statement: dict[str, Any] = statement(
            [*ECR_PULL, "ecr:CreateRepository", "ecr:BatchImportUpstreamImage"],
            [f"arn:aws:ecr:{config.region}:*:repository/{cache_prefix}/*"],
        )
