"""Only CloudFront reaches the services: the origin secret header, the listener's 403, the WAF."""

from __future__ import annotations

import json
from typing import Any

from netflux_infra.config import ENVIRONMENTS
from netflux_infra.edge_waf import MANAGED_RULE_GROUPS
from netflux_infra.origin_secret import ORIGIN_VERIFY_HEADER
from netflux_infra_testing.synthesized import Stack


def current_secret_value(stack: Stack) -> str:
    """The reference to the secret's current value, as the listener and CloudFront carry it."""
    data = stack.json["data"]["aws_secretsmanager_secret_version"]
    [key] = [k for k in data if "origin-secret-current" in k]
    assert data[key]["version_stage"] == "AWSCURRENT"
    assert data[key]["secret_id"] == stack.ref("aws_secretsmanager_secret", "origin-secret")
    return "${" + f"data.aws_secretsmanager_secret_version.{key}.secret_string" + "}"


def listener_rules(stack: Stack) -> list[dict[str, Any]]:
    return list(stack.resources("aws_lb_listener_rule").values())


def header_conditions(rule: dict[str, Any]) -> list[dict[str, Any]]:
    return [c["http_header"] for c in rule["condition"] if "http_header" in c]


def test_listener_refuses_whatever_lacks_the_origin_secret(stack: Stack) -> None:
    [default] = stack.only("aws_lb_listener")["default_action"]

    assert default["type"] == "fixed-response"
    assert default["fixed_response"]["status_code"] == "403"
    assert json.loads(default["fixed_response"]["message_body"])["status"] == 403


def test_every_rule_requires_the_secret_header_with_its_current_value(stack: Stack) -> None:
    value = current_secret_value(stack)
    rules = listener_rules(stack)

    assert len([r for r in rules if r["action"][0]["type"] == "forward"]) == 2
    for rule in rules:
        assert header_conditions(rule) == [
            {"http_header_name": ORIGIN_VERIFY_HEADER, "values": [value]}
        ], rule


def test_unknown_api_paths_from_cloudfront_get_the_404_problem_last(stack: Stack) -> None:
    rules = listener_rules(stack)
    [not_found] = [r for r in rules if r["action"][0]["type"] == "fixed-response"]

    assert not_found["priority"] == max(r["priority"] for r in rules) == 50000
    assert not_found["action"][0]["fixed_response"]["status_code"] == "404"
    assert json.loads(not_found["action"][0]["fixed_response"]["message_body"])["status"] == 404


def test_cloudfront_sends_the_secret_header_to_the_load_balancer(stack: Stack) -> None:
    origins = {o["origin_id"]: o for o in stack.only("aws_cloudfront_distribution")["origin"]}

    assert origins["api"]["custom_header"] == [
        {"name": ORIGIN_VERIFY_HEADER, "value": current_secret_value(stack)}
    ]
    assert "custom_header" not in origins["site"]


def test_origin_secret_is_generated_once_and_rotated_in_secrets_manager(stack: Stack) -> None:
    version = stack.named("aws_secretsmanager_secret_version", "origin-secret-initial")
    generated = stack.json["data"]["aws_secretsmanager_random_password"]
    [(key, password)] = [(k, v) for k, v in generated.items() if "origin-secret" in k]

    assert version["secret_string"] == (
        "${" + f"data.aws_secretsmanager_random_password.{key}.random_password" + "}"
    )
    assert version["lifecycle"] == {"ignore_changes": ["secret_string"]}
    # Letters and digits: ALB header conditions treat * and ? as wildcards, 128 characters max.
    assert password["exclude_punctuation"] is True
    assert 32 <= password["password_length"] <= 128


def test_https_to_the_origin_follows_the_alb_certificate(stack: Stack) -> None:
    config = ENVIRONMENTS[stack.name.removeprefix("netflux-")]
    origins = {o["origin_id"]: o for o in stack.only("aws_cloudfront_distribution")["origin"]}
    policy = origins["api"]["custom_origin_config"]["origin_protocol_policy"]

    assert policy == ("https-only" if config.alb_certificate_arn else "http-only")


def test_prod_has_a_waf_with_managed_rules_and_a_rate_limit(stacks: dict[str, Stack]) -> None:
    prod = stacks["prod"]
    acl = prod.only("aws_wafv2_web_acl")
    rules = {r["name"]: r for r in acl["rule"]}

    assert ENVIRONMENTS["prod"].waf
    assert acl["scope"] == "CLOUDFRONT"
    assert acl["default_action"] == {"allow": {}}
    for group in MANAGED_RULE_GROUPS:
        statement = rules[group]["statement"]["managed_rule_group_statement"]
        assert statement == {"name": group, "vendor_name": "AWS"}
        assert rules[group]["override_action"] == {"none": {}}
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= set(rules)
    rate = rules["rate-limit"]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rate_based_statement"]["aggregate_key_type"] == "IP"
    assert sorted(r["priority"] for r in acl["rule"]) == list(range(len(acl["rule"])))
    for visibility in (acl["visibility_config"], *(r["visibility_config"] for r in acl["rule"])):
        assert visibility["cloudwatch_metrics_enabled"] is True
        assert visibility["sampled_requests_enabled"] is True
    cdn = prod.only("aws_cloudfront_distribution")
    assert cdn["web_acl_id"] == prod.ref("aws_wafv2_web_acl", "waf", "arn")


def test_staging_has_no_waf(stacks: dict[str, Stack]) -> None:
    assert "aws_wafv2_web_acl" not in stacks["staging"].json["resource"]
    assert "web_acl_id" not in stacks["staging"].only("aws_cloudfront_distribution")
