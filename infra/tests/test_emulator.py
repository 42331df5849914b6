"""Emulator settings reach the provider only when a rehearsal passes them to `build_app`."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import netflux_infra
from netflux_infra_testing.emulator import emulator_provider_settings
from netflux_infra_testing.synthesized import Stack

PRODUCT = Path(netflux_infra.__file__).parent


def test_synthesized_providers_carry_no_emulator_settings(any_stack: Stack) -> None:
    [provider] = any_stack.json["provider"]["aws"]

    assert set(provider) == {"region", "default_tags"}


def test_every_service_points_at_the_emulator() -> None:
    settings = emulator_provider_settings("http://127.0.0.1:5999")

    assert settings["max_retries"] == 2
    assert settings["skip_requesting_account_id"] is False
    [endpoints] = settings["endpoints"]
    assert endpoints.s3 == endpoints.ecs == endpoints.cloudfront == "http://127.0.0.1:5999"


def imported_modules(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_the_product_holds_no_test_support() -> None:
    sources = list(PRODUCT.rglob("*.py"))
    modules = [p.relative_to(PRODUCT).as_posix() for p in sources]
    imported = {name for path in sources for name in imported_modules(path)}

    assert not [m for m in modules if m.startswith(("rehearsal/", "emulator", "synthesized"))]
    assert not [m for m in imported if m.startswith(("netflux_infra_testing", "moto"))]
    # AWS's SDK only in `make deploy`'s steps: synthesis never calls AWS.
    calling_aws = {
        path.relative_to(PRODUCT).parts[0]
        for path in sources
        if any(name.startswith(("boto3", "botocore")) for name in imported_modules(path))
    }
    assert calling_aws == {"deploy"}
