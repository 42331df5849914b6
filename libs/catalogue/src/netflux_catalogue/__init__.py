"""The service catalogue: every fact about a service that more than one place needs, once.

The services read their local port and database role here; the devstack (`make run`, the local
edges, the test fixtures), the generated compose file and nginx config, the Makefile and infra
build from the same entries. No dependencies: anything may import it.

    python -m netflux_catalogue names     # one service name a line (the Makefile reads this)
"""

from __future__ import annotations

from netflux_catalogue.catalogue import (
    ACTUATOR_PREFIX,
    CONTAINER_PORT,
    DATABASE_NAME,
    HEALTH_PATH,
    METRICS_PATH,
    PORT_NAME,
    SERVICES,
    Service,
    by_name,
)
from netflux_catalogue.problems import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_PREFIX, problem_body
from netflux_catalogue.routing import (
    API_PREFIX,
    NOT_FOUND_PROBLEM,
    ServiceRoute,
    prefix_of,
    route_for,
    routes,
)

__all__ = [
    "ACTUATOR_PREFIX",
    "API_PREFIX",
    "CONTAINER_PORT",
    "DATABASE_NAME",
    "HEALTH_PATH",
    "METRICS_PATH",
    "NOT_FOUND_PROBLEM",
    "PORT_NAME",
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_TYPE_PREFIX",
    "SERVICES",
    "Service",
    "ServiceRoute",
    "by_name",
    "prefix_of",
    "problem_body",
    "route_for",
    "routes",
]
