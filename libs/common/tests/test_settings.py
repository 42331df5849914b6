from __future__ import annotations

import pytest
from pydantic import ValidationError

from netflux_common.settings import ServiceSettings


def test_discrete_variables_build_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    # The shape ECS injects from a Secrets Manager JSON secret.
    monkeypatch.setenv("DB_HOST", "db.internal")
    monkeypatch.setenv("DB_PORT", "6543")
    monkeypatch.setenv("DB_NAME", "netflux")
    monkeypatch.setenv("DB_USERNAME", "movie_service")
    monkeypatch.setenv("DB_PASSWORD", "p@ss:w/rd")

    url = ServiceSettings().sqlalchemy_url()

    assert url.drivername == "postgresql+asyncpg"
    assert (url.host, url.port, url.database) == ("db.internal", 6543, "netflux")
    assert (url.username, url.password) == ("movie_service", "p@ss:w/rd")


def test_database_url_wins_and_gets_the_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_HOST", "ignored")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:secret@h:5433/d")

    url = ServiceSettings().sqlalchemy_url()

    assert url.render_as_string(hide_password=False) == "postgresql+asyncpg://u:secret@h:5433/d"


def test_a_non_postgres_database_url_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="postgresql"):
        ServiceSettings(database_url="mysql://u:p@h/d")


def test_password_is_not_shown_in_repr() -> None:
    settings = ServiceSettings(db_password="hunter2", database_url="postgresql://u:hunter2@h/d")

    assert "hunter2" not in repr(settings)
