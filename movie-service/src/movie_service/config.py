from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr

from netflux_catalogue import Service, by_name
from netflux_common.settings import ServiceSettings

SERVICE: Service = by_name("movie-service")


class Settings(ServiceSettings):
    port: int = Field(default=SERVICE.local_port, ge=1, le=65535)
    # Local defaults match init.sql (role and password alike); deployments inject DB_* from
    # Secrets Manager.
    db_username: str = SERVICE.db_role
    db_password: SecretStr = SecretStr(SERVICE.db_role)


@lru_cache
def get_settings() -> Settings:
    return Settings()
