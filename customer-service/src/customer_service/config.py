from __future__ import annotations

from functools import lru_cache

from pydantic import AnyHttpUrl, Field, SecretStr

from netflux_catalogue import Service, by_name
from netflux_common.settings import ServiceSettings

SERVICE: Service = by_name("customer-service")
MOVIE_SERVICE: Service = by_name("movie-service")


class Settings(ServiceSettings):
    port: int = Field(default=SERVICE.local_port, ge=1, le=65535)
    # Local defaults match init.sql (role and password alike); deployments inject DB_* from
    # Secrets Manager.
    db_username: str = SERVICE.db_role
    db_password: SecretStr = SecretStr(SERVICE.db_role)

    movie_service_url: AnyHttpUrl = AnyHttpUrl(MOVIE_SERVICE.local_url("localhost"))
    movie_service_connect_timeout: float = Field(default=1.0, gt=0)
    movie_service_read_timeout: float = Field(default=2.0, gt=0)
    # Upper bound on one whole call, however slowly the answer trickles in.
    movie_service_total_timeout: float = Field(default=3.0, gt=0)
    movie_service_max_connections: int = Field(default=50, ge=1)
    # After this many failed calls in a row, answer 503 at once for the reset time.
    movie_service_breaker_failures: int = Field(default=5, ge=1)
    movie_service_breaker_reset_seconds: float = Field(default=5.0, gt=0)


@lru_cache
def get_settings() -> Settings:
    return Settings()
