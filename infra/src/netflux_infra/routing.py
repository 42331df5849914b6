"""The edge routing table, defined once: CloudFront behaviours, ALB listener rules and both local
edges (nginx in docker compose, the Python edge of `make run`) are generated from it.

No cdktf import here: the local edges read this module without loading the AWS bindings.
"""

from __future__ import annotations

from dataclasses import dataclass

# Everything under /api/ goes to the load balancer; the rest is the static site.
API_PREFIX = "/api/"


# What the edge answers for an /api/ path no service owns (the ALB's default action).
NOT_FOUND_PROBLEM = {
    "type": "about:blank",
    "title": "Not Found",
    "status": 404,
    "detail": "No API at this path",
}


@dataclass(frozen=True)
class ServiceRoute:
    service: str
    path_patterns: tuple[str, ...]  # ALB path-pattern syntax (`*` matches any characters)
    priority: int


SERVICE_ROUTES = (
    ServiceRoute("movie-service", ("/api/movies*",), priority=10),
    ServiceRoute("customer-service", ("/api/customers/*",), priority=20),
)


def prefix_of(pattern: str) -> str:
    """The path prefix an ALB pattern stands for; only trailing wildcards are used here."""
    if "*" in pattern[:-1] or "?" in pattern:
        raise ValueError(f"{pattern!r}: only a trailing * is supported by the local edges")
    return pattern.removesuffix("*")


def route_for(path: str) -> ServiceRoute | None:
    """The service a request path goes to, in the ALB's priority order."""
    for route in sorted(SERVICE_ROUTES, key=lambda r: r.priority):
        if any(path.startswith(prefix_of(p)) for p in route.path_patterns):
            return route
    return None
