"""Every flag `retain_on_destroy` decides, per environment, in one table."""

from __future__ import annotations

import pytest

from netflux_infra.config import ENVIRONMENTS
from netflux_infra.retention import Retention

FLAGS = {
    # flag: (staging, prod)
    "db_deletion_protection": (False, True),
    "db_skip_final_snapshot": (True, False),
    "db_takes_final_snapshot": (False, True),
    "db_apply_immediately": (True, False),
    "load_balancer_deletion_protection": (False, True),
    "bucket_force_destroy": (True, False),
    "repository_force_delete": (True, False),
    "secret_recovery_window_days": (0, 7),
    "kms_deletion_window_days": (7, 30),
    "teardown_lifts_protection": (False, True),
}


def test_staging_is_disposable_and_prod_is_kept() -> None:
    assert ENVIRONMENTS["staging"].retain_on_destroy is False
    assert ENVIRONMENTS["prod"].retain_on_destroy is True


@pytest.mark.parametrize("flag", sorted(FLAGS))
def test_each_flag_follows_the_intent(flag: str) -> None:
    staging, prod = FLAGS[flag]

    assert getattr(ENVIRONMENTS["staging"].retention, flag) == staging
    assert getattr(ENVIRONMENTS["prod"].retention, flag) == prod


def test_the_table_covers_every_flag() -> None:
    flags = {name for name, value in vars(Retention).items() if isinstance(value, property)}

    assert flags == set(FLAGS)
