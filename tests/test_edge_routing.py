"""One routing table for every edge: the ALB rules, CloudFront and both local edges agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from netflux_devstack.edge import nginx_conf
from netflux_infra.routing import SERVICE_ROUTES, prefix_of, route_for

ROOT = Path(__file__).resolve().parents[1]


def test_committed_nginx_conf_is_generated_from_the_routing_table() -> None:
    committed = (ROOT / "edge" / "nginx.conf").read_text()

    assert committed == nginx_conf(), (
        "run: python -m netflux_devstack.edge --nginx > edge/nginx.conf"
    )
    for route in SERVICE_ROUTES:
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
