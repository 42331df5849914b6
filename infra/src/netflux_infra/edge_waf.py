"""A WAFv2 web ACL for the distribution (`EnvironmentConfig.waf`): the blocked client addresses,
AWS managed rules, a per-client rate limit.

A web ACL for CloudFront has scope CLOUDFRONT and must be created in us-east-1
(https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html, "Scope"); in another
region the stack hands in a provider for us-east-1.

Client addresses are blocked here, not in the subnets' network ACL: behind CloudFront every
connection to the load balancer comes from a CloudFront server, so a network ACL only ever sees
CloudFront's addresses. WAF evaluates the viewer's address
(https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-ipset-match.html).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.wafv2_ip_set import Wafv2IpSet
from cdktf_cdktf_provider_aws.wafv2_web_acl import Wafv2WebAcl, Wafv2WebAclRule
from constructs import Construct

from netflux_infra.naming import EnvironmentNames

# AWS managed rule groups (https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html):
# the common rule set (OWASP-style exploits) and known bad inputs (Log4j, Java deserialization).
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")


def visibility(metric: str) -> dict[str, Any]:
    """Every rule publishes its CloudWatch metric and keeps sampled requests."""
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric,
        "sampled_requests_enabled": True,
    }


class EdgeWaf:
    """Its resources go into the given scope (the `edge` construct)."""

    def __init__(
        self,
        scope: Construct,
        names: EnvironmentNames,
        *,
        blocked_cidrs: tuple[str, ...],
        rate_limit: int,
        provider: TerraformProvider | None,
    ) -> None:
        rules: list[dict[str, Any]] = []
        for version, cidrs in _by_ip_version(blocked_cidrs).items():
            ip_set = Wafv2IpSet(
                scope,
                f"blocked-{version.lower()}",
                name=f"{names.blocked_ip_set}-{version.lower()}",
                description="Client addresses refused at the edge (blocked_cidrs)",
                scope="CLOUDFRONT",
                ip_address_version=version,
                addresses=list(cidrs),
                provider=provider,
            )
            rules.append(
                {
                    "name": f"blocked-{version.lower()}",
                    "action": {"block": {}},
                    "statement": {"ip_set_reference_statement": {"arn": ip_set.arn}},
                }
            )
        for group in MANAGED_RULE_GROUPS:
            rules.append(
                {
                    "name": group,
                    "override_action": {"none": {}},  # the group's own actions apply
                    "statement": {
                        "managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}
                    },
                }
            )
        # Requests per client address in any 5-minute window
        # (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html).
        rules.append(
            {
                "name": "rate-limit",
                "action": {"block": {}},
                "statement": {
                    "rate_based_statement": {"limit": rate_limit, "aggregate_key_type": "IP"}
                },
            }
        )
        self.web_acl = Wafv2WebAcl(
            scope,
            "waf",
            name=names.web_acl,
            description="In front of CloudFront: blocked addresses, AWS managed rules, rate limit",
            scope="CLOUDFRONT",
            default_action={"allow": {}},
            rule=[
                Wafv2WebAclRule(
                    **rule, priority=priority, visibility_config=visibility(rule["name"])
                )
                for priority, rule in enumerate(rules)
            ],
            visibility_config=visibility(names.web_acl),
            provider=provider,
        )


def _by_ip_version(cidrs: tuple[str, ...]) -> dict[str, list[str]]:
    """An IP set holds one address family: IPV4 and IPV6 sets, whichever are needed."""
    found: dict[str, list[str]] = {}
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr)
        found.setdefault(f"IPV{network.version}", []).append(str(network))
    return found
