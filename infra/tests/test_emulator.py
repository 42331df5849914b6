"""The emulator wiring applies only when EMULATOR_ENDPOINT is set."""

from __future__ import annotations

import pytest

from netflux_infra.emulator import ENDPOINT_VARIABLE, emulator_provider_settings
from netflux_infra.synthesized import Stack


def test_without_the_setting_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENDPOINT_VARIABLE, raising=False)

    assert emulator_provider_settings() == {}


def test_synthesized_providers_carry_no_emulator_settings(any_stack: Stack) -> None:
    [provider] = any_stack.json["provider"]["aws"]

    assert set(provider) == {"region", "default_tags"}


def test_with_the_setting_every_service_points_at_the_emulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENDPOINT_VARIABLE, "http://127.0.0.1:5999")

    settings = emulator_provider_settings()

    assert settings["max_retries"] == 2
    assert settings["skip_requesting_account_id"] is False
    [endpoints] = settings["endpoints"]
    assert endpoints.s3 == endpoints.ecs == endpoints.cloudfront == "http://127.0.0.1:5999"
