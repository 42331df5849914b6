"""The offline Fargate's rules, checked as plain data (no Docker, no emulator); and, opt-in, the
deliberate breakages end to end (NETFLUX_REHEARSAL_BREAKAGES=1, several minutes each)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from netflux_infra_testing.fargate import breakages
from netflux_infra_testing.fargate.balancer import _condition, wildcard
from netflux_infra_testing.fargate.containers import _condition as dependency
from netflux_infra_testing.fargate.containers import _dependency_order, _health_args
from netflux_infra_testing.fargate.errors import RunFailed
from netflux_infra_testing.fargate.execution_role import needed_calls
from netflux_infra_testing.fargate.readback import EcsService
from netflux_infra_testing.fargate.secrets import split_value_from
from netflux_infra_testing.fargate.service_connect import (
    Endpoint,
    ServiceConnect,
    check_callers,
)

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:netflux-staging/movie-AbCdEf"


def test_value_from_with_json_key_stage_and_version() -> None:
    assert split_value_from(ARN) == (ARN, "", "", "")
    assert split_value_from(f"{ARN}:password::") == (ARN, "password", "", "")
    assert split_value_from(f"{ARN}:password:AWSPREVIOUS:") == (ARN, "password", "AWSPREVIOUS", "")


def test_alb_path_patterns_are_case_sensitive_wildcards() -> None:
    rule = {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/movies*"]}}
    assert _condition(rule, "GET", "/api/movies/ACTION", {})
    assert not _condition(rule, "GET", "/API/movies", {})
    assert wildcard("/a?c", case=True).match("/abc")
    assert not wildcard("/a.c", case=True).match("/abc")  # a dot is a dot


def test_http_header_condition_ignores_case_and_needs_the_header() -> None:
    rule = {
        "Field": "http-header",
        "HttpHeaderConfig": {"HttpHeaderName": "X-Origin-Secret", "Values": ["s3cret"]},
    }
    assert _condition(rule, "GET", "/", {"x-origin-secret": "S3CRET"})
    assert not _condition(rule, "GET", "/", {})


def test_dependencies_start_first_and_conditions_follow_docker_state() -> None:
    app = {"name": "app", "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}]}
    assert [c["name"] for c in _dependency_order([app, {"name": "init"}])] == ["init", "app"]
    exited = {"Running": False, "FinishedAt": "2026-11-27T02:00:00Z"}
    assert dependency({**exited, "ExitCode": 0}, "SUCCESS") == (True, False)
    assert dependency({**exited, "ExitCode": 1}, "SUCCESS") == (False, True)
    assert dependency({**exited, "ExitCode": 1}, "COMPLETE") == (True, False)
    running = {"Running": True, "FinishedAt": "0001-01-01T00:00:00Z", "ExitCode": 0}
    assert dependency({**running, "Health": {"Status": "starting"}}, "HEALTHY") == (False, False)
    assert dependency({**running, "Health": {"Status": "healthy"}}, "HEALTHY") == (True, False)


def test_health_check_keeps_command_and_timings() -> None:
    args = _health_args({"command": ["CMD-SHELL", "curl -f x"], "interval": 15, "startPeriod": 30})
    assert args[:2] == ["--health-cmd", "curl -f x"]
    assert dict(zip(args[2::2], args[3::2], strict=True)) == {
        "--health-interval": "15s",
        "--health-timeout": "5s",  # the ECS default
        "--health-retries": "3",
        "--health-start-period": "30s",
    }


def test_execution_role_needs_ecr_secrets_and_logs() -> None:
    definition = {
        "containerDefinitions": [
            {
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/netflux-staging/movie:abc",
                "secrets": [{"name": "DB_PASSWORD", "valueFrom": f"{ARN}:password::"}],
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/g"}},
            }
        ]
    }
    actions = {
        (a, r.split(":")[2]) for a, r in needed_calls(definition, "us-east-1", "1") if r != "*"
    }
    assert ("secretsmanager:GetSecretValue", "secretsmanager") in actions
    assert ("ecr:BatchGetImage", "ecr") in actions
    assert ("logs:PutLogEvents", "logs") in actions


def service(name: str, environment: dict[str, str]) -> EcsService:
    containers = [
        {"name": name, "environment": [{"name": k, "value": v} for k, v in environment.items()]}
    ]
    return EcsService(
        name, "arn", "cluster", {"containerDefinitions": containers}, 1, (), None, {}, 0
    )


def test_a_caller_must_find_its_callee_under_a_service_connect_alias() -> None:
    services = {
        "customer-service": service(
            "customer-service", {"MOVIE_SERVICE_URL": "http://movie-service:8080"}
        ),
        "movie-service": service("movie-service", {"DB_HOST": "db.example.com"}),
    }
    namespaces = {"customer-service": "ns", "movie-service": "ns"}
    offered = Endpoint("ns", "movie-service", 8080, "movie-service")
    check_callers(services, ServiceConnect(namespaces, (offered,)))

    renamed = Endpoint("ns", "movies", 8080, "movie-service")
    with pytest.raises(
        RunFailed, match=r"MOVIE_SERVICE_URL=http://movie-service:8080.*movies:8080"
    ):
        check_callers(services, ServiceConnect(namespaces, (renamed,)))


def fake_stack() -> dict[str, Any]:
    container = {
        "name": "movie-service",
        "image": "${aws_ecr_repository.movie.repository_url}:latest",
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": "${arn}:password::"}],
    }
    return {
        "resource": {
            "aws_ecs_task_definition": {
                "movie": {
                    "family": "netflux-staging-movie-service",
                    "container_definitions": json.dumps([container]),
                }
            },
            "aws_ecs_service": {
                "movie": {
                    "name": "movie-service",
                    "service_connect_configuration": {
                        "service": [{"client_alias": {"dns_name": "movie-service", "port": 8080}}]
                    },
                }
            },
            "aws_iam_role_policy": {
                "compute_execution-policy-movie_X": {
                    "policy": json.dumps(
                        {
                            "Statement": [
                                {"Action": ["ecr:BatchGetImage"]},
                                {"Action": ["secretsmanager:GetSecretValue"]},
                            ]
                        }
                    )
                }
            },
            "aws_lb_target_group": {
                "movie": {"name": "netflux-staging-movie", "health_check": {"path": "/ok"}}
            },
        }
    }


@pytest.mark.parametrize("name", sorted(breakages.BREAKAGES))
def test_each_breakage_changes_the_stack(name: str) -> None:
    stack = fake_stack()
    breakages.BREAKAGES[name](stack)
    assert stack != fake_stack()


BREAKAGE_MESSAGES = {
    "secret-key": "did not contain json key 'passwd'",
    "connect-alias": "offers no movie-service:8080",
    "execution-role": "not authorized to perform secretsmanager:GetSecretValue",
    "image-tag": "was never built",
    "health-path": "failed ELB health checks",
}


@pytest.mark.skipif(
    not os.environ.get("NETFLUX_REHEARSAL_BREAKAGES"),
    reason="several minutes each: set NETFLUX_REHEARSAL_BREAKAGES=1 (needs Docker, terraform)",
)
@pytest.mark.parametrize("name", sorted(BREAKAGE_MESSAGES))
def test_a_broken_environment_fails_readably(name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "netflux_infra_testing.rehearsal", "staging", "--break", name],
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert result.returncode != 0
    assert BREAKAGE_MESSAGES[name] in result.stdout + result.stderr
