"""The container definition, checked as plain data (no synthesis)."""

from __future__ import annotations

from typing import Any

from netflux_infra.container import HEALTH_COMMAND, container_definition


def definition(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "name": "movie-service",
        "image": "repo.example/netflux-staging/movie-service:abc123",
        "environment": {},
        "secret_arn": "arn:secret",
        "log_group": "/ecs/netflux-staging/movie-service",
        "log_stream_prefix": "movie",
        "region": "us-east-1",
    }
    return container_definition(**{**arguments, **overrides})


def test_one_port_named_for_service_connect() -> None:
    [port] = definition()["portMappings"]

    assert port == {"name": "http", "containerPort": 8080, "protocol": "tcp", "appProtocol": "http"}


def test_environment_is_sorted_and_service_settings_win() -> None:
    env = definition(
        environment={"MOVIE_SERVICE_URL": "http://movie-service:8080", "LOG_LEVEL": "DEBUG"}
    )["environment"]

    assert [e["name"] for e in env] == ["DB_NAME", "LOG_LEVEL", "MOVIE_SERVICE_URL", "PORT"]
    assert {e["name"]: e["value"] for e in env}["LOG_LEVEL"] == "DEBUG"
    assert {e["name"]: e["value"] for e in env}["PORT"] == "8080"


def test_database_login_comes_from_the_secret_keys() -> None:
    secrets = {s["name"]: s["valueFrom"] for s in definition()["secrets"]}

    assert secrets == {
        "DB_HOST": "arn:secret:host::",
        "DB_PORT": "arn:secret:port::",
        "DB_USERNAME": "arn:secret:username::",
        "DB_PASSWORD": "arn:secret:password::",
    }


def test_logs_health_and_hardening() -> None:
    container = definition()

    assert container["logConfiguration"]["options"] == {
        "awslogs-group": "/ecs/netflux-staging/movie-service",
        "awslogs-region": "us-east-1",
        "awslogs-stream-prefix": "movie",
    }
    assert container["healthCheck"]["command"] == ["CMD-SHELL", HEALTH_COMMAND]
    assert "http://127.0.0.1:8080/actuator/health" in HEALTH_COMMAND
    assert container["readonlyRootFilesystem"] is True
    assert container["essential"] is True


def test_a_container_can_wait_for_another_to_succeed() -> None:
    assert "dependsOn" not in definition()
    assert definition(starts_after="db-init")["dependsOn"] == [
        {"containerName": "db-init", "condition": "SUCCESS"}
    ]
