"""The edge routing table, from the service catalogue (CloudFront behaviours, ALB rules)."""

from __future__ import annotations

from netflux_catalogue import (
    API_PREFIX,
    NOT_FOUND_PROBLEM,
    ServiceRoute,
    prefix_of,
    route_for,
    routes,
)

SERVICE_ROUTES: tuple[ServiceRoute, ...] = routes()

__all__ = [
    "API_PREFIX",
    "NOT_FOUND_PROBLEM",
    "SERVICE_ROUTES",
    "ServiceRoute",
    "prefix_of",
    "route_for",
]
