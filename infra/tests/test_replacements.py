"""A replacement never collides with what it replaces, and a config whose names AWS would refuse
is refused before any apply."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from netflux_catalogue import SERVICES
from netflux_infra.config import ENVIRONMENTS, EnvironmentConfig
from netflux_infra.name_limits import LIMITS, name_problems
from netflux_infra.naming import EnvironmentNames
from netflux_infra_testing.synthesized import Stack

SERVICE_NAMES = [spec.name for spec in SERVICES]


@pytest.mark.parametrize(
    "kind", ["aws_security_group", "aws_lb_target_group", "aws_db_parameter_group"]
)
def test_resources_replaced_before_destroyed_are_named_by_prefix(stack: Stack, kind: str) -> None:
    for key, resource in stack.resources(kind).items():
        assert resource["lifecycle"]["create_before_destroy"] is True, key
        assert "name" not in resource, key  # a fixed name collides with its own replacement
        assert resource["name_prefix"].endswith("-"), key


def test_target_group_prefixes_fit_six_characters(stack: Stack) -> None:
    for group in stack.resources("aws_lb_target_group").values():
        assert len(group["name_prefix"]) <= 6
        assert group["tags"]["Name"].startswith(stack.name)  # still findable by its full name


def test_prod_final_snapshot_is_named_by_its_instances_creation_time(
    stacks: dict[str, Stack],
) -> None:
    prod = stacks["prod"].named("aws_db_instance", "database_postgres")
    staging = stacks["staging"].named("aws_db_instance", "database_postgres")

    assert prod["skip_final_snapshot"] is False
    assert prod["final_snapshot_identifier"] == (
        'netflux-prod-final-${formatdate("YYYYMMDDhhmmss", timestamp())}'
    )
    # timestamp() changes every plan: the value set at creation stays.
    assert "final_snapshot_identifier" in prod["lifecycle"]["ignore_changes"]
    assert staging["skip_final_snapshot"] is True
    assert "final_snapshot_identifier" not in staging


def test_shipped_environments_fit_every_limit() -> None:
    for config in ENVIRONMENTS.values():
        assert name_problems(config.names, SERVICE_NAMES) == []


def test_a_name_too_long_is_refused_with_the_limit_and_the_name() -> None:
    name = "a" * 23  # the bucket prefix binds first: netflux-<23>-logs- has 37 characters
    EnvironmentConfig(name=name)

    with pytest.raises(ValidationError) as error:
        EnvironmentConfig(name=name + "b")
    message = str(error.value)
    assert f"S3 bucket name prefix 'netflux-{name}b-logs-' has 38 characters; AWS allows 37" in (
        message
    )
    assert "bucketnamingrules" in message
    assert "load balancer" not in message  # 32 characters still fit
    with pytest.raises(ValidationError, match=r"load balancer name 'netflux-a{25}' has 33"):
        EnvironmentConfig(name="a" * 25)


def test_every_limit_is_checked_against_its_longest_name() -> None:
    names = EnvironmentNames("staging")
    for limit in LIMITS:
        derived = limit.names(names, SERVICE_NAMES)
        assert derived, limit.what
        assert all(derived), limit.what
        assert limit.doc.startswith("https://"), limit.what
    # Too long for the load balancer (32) and the bucket prefixes (37), nothing else.
    assert [p.split(" '")[0] for p in name_problems(EnvironmentNames("e" * 30), SERVICE_NAMES)] == [
        "load balancer name",
        "S3 bucket name prefix",
    ]


@pytest.mark.parametrize("name", ["Prod", "my_env", "a--b", "env-", "1env"])
def test_environment_names_aws_would_refuse(name: str) -> None:
    with pytest.raises(ValidationError, match="lower-case letters, digits and single hyphens"):
        EnvironmentConfig(name=name)
