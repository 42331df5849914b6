"""The entries: one `Service` per deployable, and the facts every service shares."""

from __future__ import annotations

from dataclasses import dataclass

# In ECS every service listens on 8080 (the seed's design), so Service Connect gives
# customer-service http://movie-service:8080; locally each has its own port (`local_port`).
CONTAINER_PORT = 8080
PORT_NAME = "http"  # the task definition's port mapping name Service Connect refers to
# Spring Boot Actuator's paths. Private to the network: no edge routes them (only API_PREFIX
# paths reach services), so health details and metrics are never published.
ACTUATOR_PREFIX = "/actuator/"
HEALTH_PATH = ACTUATOR_PREFIX + "health"  # the ALB target groups probe it
METRICS_PATH = ACTUATOR_PREFIX + "prometheus"  # Prometheus text; scraped inside the VPC
DATABASE_NAME = "netflux"


@dataclass(frozen=True)
class Service:
    name: str  # the deployable's name: folder, image, ECS service, Service Connect name
    package: str  # its Python package; `python -m <package>.main` runs it
    local_port: int  # `make run`, docker compose and the settings' default
    db_role: str  # its PostgreSQL login role and schema owner (init.sql)
    path_patterns: tuple[str, ...]  # ALB path-pattern syntax: what the edge routes to it
    priority: int  # ALB listener rule priority; lower is evaluated first
    discoverable: bool = False  # offered to other services through Service Connect
    calls: tuple[str, ...] = ()  # services it calls over HTTP (each gets a <NAME>_URL setting)
    # Its GET answers carry an ETag and `max-age=0, must-revalidate`: the CDN may keep them and
    # revalidate each one with the service (a 304 while nothing changed).
    revalidated_reads: bool = False

    @property
    def short(self) -> str:
        """`movie` for movie-service: Terraform ids and log stream prefixes use it."""
        return self.name.removesuffix("-service")

    @property
    def url_variable(self) -> str:
        """The environment variable that tells a caller where this service is."""
        return self.name.upper().replace("-", "_") + "_URL"

    def local_url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.local_port}"


MOVIE = Service(
    name="movie-service",
    package="movie_service",
    local_port=7070,
    db_role="movie_service",
    path_patterns=("/api/movies*",),
    priority=10,
    discoverable=True,
    revalidated_reads=True,
)
CUSTOMER = Service(
    name="customer-service",
    package="customer_service",
    local_port=8080,
    db_role="customer_service",
    path_patterns=("/api/customers/*",),
    priority=20,
    calls=("movie-service",),
)
SERVICES: tuple[Service, ...] = (MOVIE, CUSTOMER)


def by_name(name: str) -> Service:
    for service in SERVICES:
        if service.name == name:
            return service
    raise KeyError(f"no service {name!r} in the catalogue")
