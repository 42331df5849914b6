"""boto3 clients against the emulator, with the rehearsal's keys or a role's session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Credentials:
    access_key: str = "rehearsal"
    secret_key: str = "rehearsal"
    session_token: str | None = None


@dataclass(frozen=True)
class Emulator:
    endpoint: str
    region: str
    credentials: Credentials = Credentials()

    def client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.credentials.access_key,
            aws_secret_access_key=self.credentials.secret_key,
            aws_session_token=self.credentials.session_token,
            config=Config(retries={"max_attempts": 1}),
        )

    def as_(self, credentials: Credentials) -> Emulator:
        return Emulator(self.endpoint, self.region, credentials)
