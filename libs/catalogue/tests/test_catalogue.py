"""The catalogue is consistent on its own: every other part of the repo trusts it blindly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from netflux_catalogue import (
    ACTUATOR_PREFIX,
    API_PREFIX,
    HEALTH_PATH,
    METRICS_PATH,
    SERVICES,
    by_name,
    prefix_of,
    problem_body,
    route_for,
    routes,
)
from netflux_catalogue.__main__ import main
from netflux_catalogue.edge import is_published

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("field", ["name", "package", "local_port", "db_role", "priority"])
def test_entries_do_not_collide(field: str) -> None:
    values = [getattr(s, field) for s in SERVICES]

    assert len(values) == len(set(values)), f"two services share a {field}"


def test_every_service_has_its_folder_package_and_role() -> None:
    init_sql = (ROOT / "init.sql").read_text()
    for service in SERVICES:
        assert (ROOT / service.name / "src" / service.package / "main.py").is_file()
        assert f"ROLE {service.db_role}" in init_sql, f"init.sql creates no {service.db_role}"


def test_calls_name_services_in_the_catalogue() -> None:
    for service in SERVICES:
        for callee in service.calls:
            assert by_name(callee).discoverable, f"{service.name} calls hidden {callee}"


def test_unknown_service_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="no service 'order-service'"):
        by_name("order-service")


def test_routes_are_in_priority_order_and_cover_each_service() -> None:
    table = routes()

    assert [r.priority for r in table] == sorted(r.priority for r in table)
    assert {r.service for r in table} == {s.name for s in SERVICES}
    assert route_for("/api/movies/DRAMA") == table[0]


def test_no_edge_route_reaches_the_actuator() -> None:
    """Health details and metrics stay inside the network: every routed pattern is an API path."""
    patterns = [p for r in routes() for p in r.path_patterns]
    assert all(prefix_of(p).startswith(API_PREFIX) for p in patterns)
    assert not API_PREFIX.startswith(ACTUATOR_PREFIX)
    for path in (HEALTH_PATH, METRICS_PATH, ACTUATOR_PREFIX):
        assert route_for(path) is None


def test_url_variable_is_what_the_caller_reads() -> None:
    assert by_name("movie-service").url_variable == "MOVIE_SERVICE_URL"


def test_problem_body_follows_rfc_9457() -> None:
    assert problem_body(404, "Not Found", "gone", "/x", slug="thing", id=3) == {
        "type": "urn:netflux:problem:thing",
        "title": "Not Found",
        "status": 404,
        "detail": "gone",
        "instance": "/x",
        "id": 3,
    }
    assert "instance" not in problem_body(404, "Not Found", "gone")


def test_names_for_make_run_without_a_virtualenv(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["names"]) == 0
    assert capsys.readouterr().out.split() == [s.name for s in SERVICES]
    assert main([]) == 2
    # The Makefile runs it with the system Python and only this folder on the path.
    out = subprocess.run(
        [sys.executable, "-m", "netflux_catalogue", "names"],
        env={"PYTHONPATH": str(ROOT / "libs" / "catalogue" / "src")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == [s.name for s in SERVICES]


@pytest.mark.parametrize(
    ("path", "published"),
    [
        ("index.html", True),
        (".", True),
        ("css/site.css", True),
        (".env", False),
        (".git/config", False),
        ("assets/.DS_Store", False),
    ],
)
def test_only_the_sites_own_files_are_published(path: str, published: bool) -> None:
    assert is_published(path) is published
