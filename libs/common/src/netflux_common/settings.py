"""Settings every service has: port, logging and the database connection."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url


class ServiceSettings(BaseSettings):
    """Base of each service's `Settings`; read from the environment and an optional `.env`.

    The database is either a full ``DATABASE_URL`` or the discrete ``DB_*`` variables, which is the
    shape ECS injects from a Secrets Manager JSON secret (keys host, username, password).
    """

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=1, le=65535)
    log_level: str = "INFO"
    # json: one object a line (CloudWatch Logs Insights); text: for a person; auto: text on a
    # terminal, else json.
    log_format: Literal["auto", "json", "text"] = "auto"
    # A line per request (method, path, status, duration_ms, request and trace ids) at INFO.
    access_log: bool = True
    # Tracing is on only when this is set (OTLP/HTTP base URL, e.g. http://localhost:4318).
    otel_exporter_otlp_endpoint: str | None = None
    # ECS waits 30 s (stopTimeout) between SIGTERM and SIGKILL; finish in-flight requests before.
    shutdown_grace_seconds: int = Field(default=20, ge=0)
    # Whose X-Forwarded-For / -Proto are believed: the proxies in front (the VPC's CIDR in ECS,
    # where only the ALB reaches the tasks); a client elsewhere cannot choose its logged address.
    forwarded_allow_ips: str = "127.0.0.1"
    # These APIs take a one-field JSON body: anything near these sizes is abuse, not a request.
    max_body_bytes: int = Field(default=8 * 1024, ge=1)
    max_header_bytes: int = Field(default=16 * 1024, ge=1)

    database_url: SecretStr | None = None
    db_host: str = "localhost"
    db_port: int = Field(default=5432, ge=1, le=65535)
    db_name: str = "netflux"
    db_username: str = "postgres"
    db_password: SecretStr = SecretStr("")

    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)
    # Seconds a request waits for a free pooled connection before it gets a 503.
    db_pool_timeout: float = Field(default=5.0, gt=0)
    db_connect_timeout: float = Field(default=3.0, gt=0)
    db_statement_timeout: float = Field(default=10.0, gt=0)
    # Short on purpose: a health probe must answer well within the ALB's 5 s probe timeout.
    db_health_timeout: float = Field(default=2.0, gt=0)

    @model_validator(mode="after")
    def _check_database_url(self) -> ServiceSettings:
        if self.database_url is not None:
            self.sqlalchemy_url()  # fail at start-up, not on the first request
        return self

    def sqlalchemy_url(self) -> URL:
        """The asyncpg URL SQLAlchemy connects with, whichever way it was configured."""
        if self.database_url is not None:
            url = make_url(self.database_url.get_secret_value())
            if url.get_backend_name() != "postgresql":
                raise ValueError("DATABASE_URL must be a postgresql:// URL")
            return url.set(drivername="postgresql+asyncpg")
        return URL.create(
            "postgresql+asyncpg",
            username=self.db_username,
            password=self.db_password.get_secret_value() or None,
            host=self.db_host,
            port=self.db_port,
            database=self.db_name,
        )
