"""Who may import whom (docs/architecture.md): the layering is checked, not only described.

Each package's source is parsed (not imported) and every `import` / `from ... import` naming a
first-party package is compared with the allowed table.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package -> (its source folder, the first-party packages it may import)
LAYERS: dict[str, tuple[str, frozenset[str]]] = {
    "netflux_catalogue": ("libs/catalogue/src", frozenset()),
    "netflux_common": ("libs/common/src", frozenset({"netflux_catalogue"})),
    "movie_service": ("movie-service/src", frozenset({"netflux_catalogue", "netflux_common"})),
    "customer_service": (
        "customer-service/src",
        frozenset({"netflux_catalogue", "netflux_common"}),
    ),
    # Developer tooling: starts services by module name, never imports them or infra.
    "netflux_devstack": ("libs/devstack/src", frozenset({"netflux_catalogue"})),
    # The product infrastructure: no web framework, no services, no test support.
    "netflux_infra": ("infra/src", frozenset({"netflux_catalogue"})),
    # The benchmark drives the services as processes through devstack's launchers; its
    # bench.switchable runs inside them, so it reaches their tracing and metrics (common).
    "bench": (".", frozenset({"netflux_catalogue", "netflux_devstack", "netflux_common"})),
    # The rehearsal and synthesized-JSON readers: test support, never shipped with infra.
    "netflux_infra_testing": (
        "infra/testing/src",
        frozenset({"netflux_catalogue", "netflux_infra", "netflux_devstack"}),
    ),
}
FIRST_PARTY = frozenset(LAYERS)


def imported_packages(source: Path) -> set[tuple[str, int]]:
    found = set()
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add((node.module.split(".")[0], node.lineno))
    return found


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_package_imports_only_what_its_layer_allows(package: str) -> None:
    folder, allowed = LAYERS[package]
    sources = sorted((ROOT / folder / package).rglob("*.py"))
    assert sources, f"no sources for {package} under {folder}"
    violations = [
        f"{source.relative_to(ROOT)}:{line} imports {imported}"
        for source in sources
        for imported, line in imported_packages(source)
        if imported in FIRST_PARTY and imported not in allowed | {package}
    ]

    assert not violations, f"{package} may import only {sorted(allowed)}:\n" + "\n".join(violations)


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    source = tmp_path / "bad.py"
    source.write_text("import os\nfrom netflux_infra.config import STAGING\n")

    assert ("netflux_infra", 2) in imported_packages(source)


def test_devstack_does_not_pull_in_infra_dependencies() -> None:
    pyproject = (ROOT / "libs" / "devstack" / "pyproject.toml").read_text()

    assert "netflux-infra" not in pyproject
    assert "cdktf" not in pyproject
