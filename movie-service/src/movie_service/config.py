from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, model_validator
from sqlalchemy.engine import URL, make_url

from netflux_catalogue import Service, by_name
from netflux_common.settings import ServiceSettings

SERVICE: Service = by_name("movie-service")


class Settings(ServiceSettings):
    port: int = Field(default=SERVICE.local_port, ge=1, le=65535)
    # Local defaults match init.sql (role and password alike); deployments inject DB_* from
    # Secrets Manager.
    db_username: str = SERVICE.db_role
    db_password: SecretStr = SecretStr(SERVICE.db_role)

    # Where movie reads go: a read replica. Either a whole URL (wins, like DATABASE_URL) or only
    # its host, with everything else (port, database, role, password) the primary's, which is
    # how an RDS read replica is reached. Neither set: reads go to the primary.
    database_read_url: SecretStr | None = None
    db_read_host: str | None = None
    # How long after a change pages read from the replica are not cached: an upper bound on
    # the replica's lag (RDS replicas lag well under a second in normal operation).
    db_read_settle_seconds: float = Field(default=5.0, ge=0)

    @model_validator(mode="after")
    def _check_read_url(self) -> Settings:
        self.read_url()  # fail at start-up, not on the first read
        return self

    def read_url(self) -> URL | None:
        """The URL movie reads use, or None when they use the primary."""
        if self.database_read_url is not None:
            url = make_url(self.database_read_url.get_secret_value())
            if url.get_backend_name() != "postgresql":
                raise ValueError("DATABASE_READ_URL must be a postgresql:// URL")
            return url.set(drivername="postgresql+asyncpg")
        if self.db_read_host:
            return self.sqlalchemy_url().set(host=self.db_read_host)
        return None


@lru_cache
def get_settings() -> Settings:
    return Settings()
