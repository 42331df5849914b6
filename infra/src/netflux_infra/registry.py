"""ECR: one repository per service; immutable tags, scanned on push, old images expire."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
)
from constructs import Construct

from netflux_catalogue import SERVICES
from netflux_infra.config import EnvironmentConfig

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
