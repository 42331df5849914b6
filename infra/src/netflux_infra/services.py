"""What the infrastructure needs to know about each service, read from the service catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from netflux_catalogue import (
    CONTAINER_PORT,
    DATABASE_NAME,
    HEALTH_PATH,
    PORT_NAME,
    Service,
    by_name,
)
from netflux_catalogue import SERVICES as CATALOGUE

__all__ = ["CONTAINER_PORT", "DATABASE_NAME", "HEALTH_PATH", "PORT_NAME", "SECRET_KEYS"]


@dataclass(frozen=True)
class ServiceSpec:
    """A catalogue entry as a task definition sees it."""

    service: Service

    @property
    def name(self) -> str:
        return self.service.name

    @property
    def short(self) -> str:
        return self.service.short

    @property
    def db_role(self) -> str:
        return self.service.db_role

    @property
    def discoverable(self) -> bool:
        return self.service.discoverable

    @property
    def environment(self) -> dict[str, str]:
        """Where the services it calls are: their Service Connect client aliases."""
        return {
            by_name(callee).url_variable: f"http://{callee}:{CONTAINER_PORT}"
            for callee in self.service.calls
        }


SERVICES = tuple(ServiceSpec(s) for s in CATALOGUE)

# Variables every service reads; DB_HOST, DB_PORT, DB_USERNAME and DB_PASSWORD come from the
# service's Secrets Manager secret (keys host, port, username, password).
SECRET_KEYS = {
    "DB_HOST": "host",
    "DB_PORT": "port",
    "DB_USERNAME": "username",
    "DB_PASSWORD": "password",
}
