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
