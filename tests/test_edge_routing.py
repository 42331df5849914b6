"""One routing table for every edge: the ALB rules, CloudFront and both local edges agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from netflux_catalogue import prefix_of, route_for, routes
from netflux_devstack.generated import GENERATED, drifted, nginx_conf

ROOT = Path(__file__).resolve().parents[1]


def test_committed_generated_files_match_the_catalogue() -> None:
    assert drifted(ROOT) == [], "run: python -m netflux_devstack.generated"


def test_drift_is_detected(tmp_path: Path) -> None:
    for name, render in GENERATED.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(render())
    (tmp_path / "edge" / "nginx.conf").write_text(nginx_conf().replace("/api/movies", "/api/film"))

    assert drifted(tmp_path) == ["edge/nginx.conf"]


def test_nginx_routes_every_catalogue_pattern() -> None:
    committed = (ROOT / "edge" / "nginx.conf").read_text()
    for route in routes():
        for pattern in route.path_patterns:
            assert f"location {prefix_of(pattern)} {{" in committed


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/movies", "movie-service"),
        ("/api/movies/DRAMA", "movie-service"),
        ("/api/customers/1", "customer-service"),
        ("/api/customers/1/genre", "customer-service"),
        ("/api/customers", None),  # the ALB rule is /api/customers/*
        ("/api/orders/1", None),
        ("/index.html", None),
    ],
)
def test_paths_route_like_the_alb_rules(path: str, service: str | None) -> None:
    route = route_for(path)

    assert (route.service if route else None) == service


def test_only_trailing_wildcards_are_accepted() -> None:
    with pytest.raises(ValueError, match="trailing"):
        prefix_of("/api/*/movies")
