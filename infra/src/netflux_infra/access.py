"""Team access as code: a stack of its own with the developers', DevOps' and auditors' access
(policies in access_policies.py, documented in docs/access.md).

IAM groups with one customer managed policy each, and membership from the config (users are
created by the identity provider, never here). With IAM Identity Center configured, permission
sets with the same documents take the groups' place.
"""

from __future__ import annotations

import json

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.iam_group import IamGroup
from cdktf_cdktf_provider_aws.iam_group_membership import IamGroupMembership
from cdktf_cdktf_provider_aws.iam_group_policy_attachment import IamGroupPolicyAttachment
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.ssoadmin_account_assignment import SsoadminAccountAssignment
from cdktf_cdktf_provider_aws.ssoadmin_permission_set import SsoadminPermissionSet
from cdktf_cdktf_provider_aws.ssoadmin_permission_set_inline_policy import (
    SsoadminPermissionSetInlinePolicy,
)
from constructs import Construct

from netflux_infra.access_policies import TeamPolicies
from netflux_infra.config import AccessConfig, EnvironmentConfig, IdentityCenter, PipelineConfig
from netflux_infra.naming import AccessNames
from netflux_infra.stack import NO_OVERRIDES, ProviderOverrides, aws_provider, configure_backend


class AccessStack(TerraformStack):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: AccessConfig,
        environments: list[EnvironmentConfig],
        pipeline: PipelineConfig,
        provider_overrides: ProviderOverrides = NO_OVERRIDES,
    ) -> None:
        super().__init__(scope, id_)
        aws_provider(self, config.region, "access", provider_overrides)
        configure_backend(self, id_, environments[0].state, "access", config.region)
        names = AccessNames(config.name)
        documents = TeamPolicies(config, environments, pipeline).by_team()
        for team, document in documents.items():
            if config.identity_center is not None:
                self._permission_set(config.identity_center, team, names.group(team), document)
            else:
                self._group(config, team, names.group(team), document)

    def _group(
        self, config: AccessConfig, team: str, name: str, document: dict[str, object]
    ) -> None:
        group = IamGroup(self, f"group-{team}", name=name, path="/netflux/")
        policy = IamPolicy(
            self,
            f"policy-{team}",
            name=name,
            description=f"What the {team} team may do (docs/access.md)",
            policy=json.dumps(document),
        )
        IamGroupPolicyAttachment(self, f"attach-{team}", group=group.name, policy_arn=policy.arn)
        members = config.members.get(team, ())
        if members:
            # Exclusive: users added to the group outside Terraform are removed on apply.
            IamGroupMembership(
                self,
                f"members-{team}",
                name=f"{name}-members",
                group=group.name,
                users=list(members),
            )
        TerraformOutput(self, f"{team}_group", value=group.name)

    def _permission_set(
        self, center: IdentityCenter, team: str, name: str, document: dict[str, object]
    ) -> None:
        permission_set = SsoadminPermissionSet(
            self,
            f"permission-set-{team}",
            name=name,
            instance_arn=center.instance_arn,
            description=f"What the {team} team may do (docs/access.md)",
            session_duration="PT8H",
        )
        SsoadminPermissionSetInlinePolicy(
            self,
            f"permission-set-policy-{team}",
            instance_arn=center.instance_arn,
            permission_set_arn=permission_set.arn,
            inline_policy=json.dumps(document),
        )
        group_id = center.group_ids.get(team)
        if center.account_id and group_id:
            SsoadminAccountAssignment(
                self,
                f"assignment-{team}",
                instance_arn=center.instance_arn,
                permission_set_arn=permission_set.arn,
                principal_type="GROUP",
                principal_id=group_id,
                target_type="AWS_ACCOUNT",
                target_id=center.account_id,
            )
        TerraformOutput(self, f"{team}_permission_set", value=permission_set.arn)
