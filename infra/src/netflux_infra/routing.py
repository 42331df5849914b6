"""The edge routing table, defined once: CloudFront behaviours, ALB listener rules and the local
edge proxy are all generated from it."""

from __future__ import annotations

from dataclasses import dataclass

# Everything under /api/ goes to the load balancer; the rest is the static site.
API_PREFIX = "/api/"


@dataclass(frozen=True)
class ServiceRoute:
    service: str
    path_patterns: tuple[str, ...]  # ALB path-pattern syntax (`*` matches any characters)
    priority: int


SERVICE_ROUTES = (
    ServiceRoute("movie-service", ("/api/movies*",), priority=10),
    ServiceRoute("customer-service", ("/api/customers/*",), priority=20),
)
