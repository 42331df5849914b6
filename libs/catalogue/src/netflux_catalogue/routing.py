"""The edge routing table: CloudFront behaviours, ALB listener rules and both local edges (nginx in
docker compose, the Python edge of `make run`) are generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from netflux_catalogue.catalogue import SERVICES
from netflux_catalogue.problems import problem_body

# Everything under /api/ goes to the load balancer; the rest is the static site.
API_PREFIX = "/api/"

# What the edge answers for an /api/ path no service owns (the ALB's default action).
NOT_FOUND_PROBLEM = problem_body(404, "Not Found", "No API at this path")


@dataclass(frozen=True)
class ServiceRoute:
    service: str
    path_patterns: tuple[str, ...]  # ALB path-pattern syntax (`*` matches any characters)
    priority: int


def routes() -> tuple[ServiceRoute, ...]:
    """Every service's route, in the ALB's evaluation order."""
    table = (ServiceRoute(s.name, s.path_patterns, s.priority) for s in SERVICES)
    return tuple(sorted(table, key=lambda r: r.priority))


def prefix_of(pattern: str) -> str:
    """The path prefix an ALB pattern stands for; only trailing wildcards are used here."""
    if "*" in pattern[:-1] or "?" in pattern:
        raise ValueError(f"{pattern!r}: only a trailing * is supported by the local edges")
    return pattern.removesuffix("*")


def route_for(path: str) -> ServiceRoute | None:
    """The service a request path goes to, in the ALB's priority order."""
    for route in routes():
        if any(path.startswith(prefix_of(p)) for p in route.path_patterns):
            return route
    return None
