from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr

from netflux_common.settings import ServiceSettings


class Settings(ServiceSettings):
    port: int = Field(default=7070, ge=1, le=65535)
    # Local defaults match init.sql; deployments inject DB_* from Secrets Manager.
    db_username: str = "movie_service"
    db_password: SecretStr = SecretStr("movie_service")


@lru_cache
def get_settings() -> Settings:
    return Settings()
