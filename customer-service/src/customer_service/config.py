from __future__ import annotations

from functools import lru_cache

from pydantic import AnyHttpUrl, Field, SecretStr

from netflux_common.settings import ServiceSettings


class Settings(ServiceSettings):
    port: int = Field(default=8080, ge=1, le=65535)
    # Local defaults match init.sql; deployments inject DB_* from Secrets Manager.
    db_username: str = "customer_service"
    db_password: SecretStr = SecretStr("customer_service")

    movie_service_url: AnyHttpUrl = AnyHttpUrl("http://localhost:7070")
    movie_service_connect_timeout: float = Field(default=1.0, gt=0)
    movie_service_read_timeout: float = Field(default=2.0, gt=0)
    # Upper bound on one whole call, however slowly the answer trickles in.
    movie_service_total_timeout: float = Field(default=3.0, gt=0)
    movie_service_max_connections: int = Field(default=50, ge=1)


@lru_cache
def get_settings() -> Settings:
    return Settings()
