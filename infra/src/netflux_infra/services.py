"""What the infrastructure needs to know about each service: ports, health, environment."""

from __future__ import annotations

from dataclasses import dataclass, field

# Both services listen on 8080 in ECS, so Service Connect gives customer-service
# http://movie-service:8080 (the seed's design); locally movie-service defaults to 7070.
CONTAINER_PORT = 8080
PORT_NAME = "http"
HEALTH_PATH = "/actuator/health"  # Spring Boot Actuator's path; tests check the services serve it
DATABASE_NAME = "netflux"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    db_role: str  # the PostgreSQL login role from init.sql
    environment: dict[str, str] = field(default_factory=dict)
    discoverable: bool = False  # offered to other services through Service Connect

    @property
    def short(self) -> str:
        return self.name.removesuffix("-service")


MOVIE = ServiceSpec("movie-service", db_role="movie_service", discoverable=True)
CUSTOMER = ServiceSpec(
    "customer-service",
    db_role="customer_service",
    environment={"MOVIE_SERVICE_URL": f"http://movie-service:{CONTAINER_PORT}"},
)
SERVICES = (MOVIE, CUSTOMER)

# Variables every service reads; DB_HOST, DB_PORT, DB_USERNAME and DB_PASSWORD come from the
# service's Secrets Manager secret (keys host, port, username, password).
SECRET_KEYS = {
    "DB_HOST": "host",
    "DB_PORT": "port",
    "DB_USERNAME": "username",
    "DB_PASSWORD": "password",
}
