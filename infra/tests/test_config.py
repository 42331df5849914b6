from __future__ import annotations

import pytest
from pydantic import ValidationError

from netflux_infra.config import ENVIRONMENTS, EnvironmentConfig, ServiceSizing


def test_zones_must_be_in_the_region() -> None:
    with pytest.raises(ValidationError, match="availability_zones"):
        EnvironmentConfig(name="x", region="eu-west-1")  # default zones are us-east-1


def test_sizing_bounds_are_checked() -> None:
    with pytest.raises(ValidationError, match="min_count"):
        ServiceSizing(desired_count=5, min_count=1, max_count=2)


def test_region_without_a_known_prefix_list_needs_one() -> None:
    config = EnvironmentConfig(
        name="x", region="ap-south-2", availability_zones=("ap-south-2a", "ap-south-2b")
    )
    with pytest.raises(ValueError, match="cloudfront_prefix_list_id"):
        _ = config.prefix_list_id


def test_no_account_ids_or_secrets_in_configs() -> None:
    text = repr(ENVIRONMENTS)
    assert "arn:aws" not in text
    assert not any(ch.isdigit() and len(ch) == 12 for ch in text.split("'"))


def test_sizing_is_keyed_by_service_name() -> None:
    assert ENVIRONMENTS["prod"].sizing["customer-service"].max_count == 12
    assert set(EnvironmentConfig(name="x").sizing) == {"movie-service", "customer-service"}


def test_sizing_for_an_unknown_or_missing_service_is_refused() -> None:
    with pytest.raises(ValidationError, match="one entry per service"):
        EnvironmentConfig(name="x", sizing={"movie-service": ServiceSizing()})


def test_the_old_protection_switch_is_gone() -> None:
    with pytest.raises(ValidationError, match="db_deletion_protection"):
        EnvironmentConfig(name="x", db_deletion_protection=True)  # type: ignore[call-arg]


def test_waf_and_an_existing_web_acl_exclude_each_other() -> None:
    with pytest.raises(ValidationError, match="exclude each other"):
        EnvironmentConfig(name="x", waf=True, web_acl_arn="arn:aws:wafv2:us-east-1:1:global/x")


def test_blocked_addresses_need_the_waf() -> None:
    with pytest.raises(ValidationError, match="blocked_cidrs needs waf"):
        EnvironmentConfig(name="x", blocked_cidrs=("203.0.113.0/24",))
    with pytest.raises(ValidationError, match=r"203\.0\.113\.1/24"):
        EnvironmentConfig(name="x", waf=True, blocked_cidrs=("203.0.113.1/24",))  # host bits


def test_blocked_addresses_become_waf_ip_sets_per_address_family() -> None:
    from netflux_infra_testing.small_stack import synth_waf

    config = EnvironmentConfig(
        name="x", waf=True, blocked_cidrs=("203.0.113.0/24", "2001:db8::/32", "198.51.100.7/32")
    )
    resources = synth_waf(config)["resource"]
    ip_sets = {s["ip_address_version"]: s for s in resources["aws_wafv2_ip_set"].values()}
    [acl] = resources["aws_wafv2_web_acl"].values()
    first = min(acl["rule"], key=lambda r: r["priority"])

    assert sorted(ip_sets["IPV4"]["addresses"]) == ["198.51.100.7/32", "203.0.113.0/24"]
    assert ip_sets["IPV6"]["addresses"] == ["2001:db8::/32"]
    assert all(s["scope"] == "CLOUDFRONT" for s in ip_sets.values())
    # Blocked addresses are refused before any other rule looks at the request.
    assert first["action"] == {"block": {}}
    assert "ip_set_reference_statement" in first["statement"]
    blocking = sorted(
        r["statement"]["ip_set_reference_statement"]["arn"]
        for r in acl["rule"]
        if "ip_set_reference_statement" in r["statement"]
    )
    assert len(blocking) == 2
    assert all(a.startswith("${aws_wafv2_ip_set.") for a in blocking)
