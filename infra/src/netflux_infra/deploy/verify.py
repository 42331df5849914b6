"""After the apply: the services are stable, their targets healthy, and the site answers through
its public URL. Any failure prints the failing service's newest log lines and fails the deploy.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from netflux_catalogue import SERVICES
from netflux_infra.deploy import DeployError, say
from netflux_infra.naming import EnvironmentNames

LOG_LINES = 50


@dataclass(frozen=True)
class Check:
    path: str
    service: str | None  # whose logs explain a failure (None: the page, served from S3)
    accept: Callable[[str, bytes], str | None]  # (content type, body) -> what is wrong, or None


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _movie_list(content_type: str, body: bytes) -> str | None:
    movies = _json(body)
    if not isinstance(movies, list) or not movies:
        return f"expected a non-empty JSON list, got {body[:200]!r}"
    return None


def _customer(content_type: str, body: bytes) -> str | None:
    customer = _json(body)
    if not isinstance(customer, dict) or not isinstance(customer.get("recommendedMovies"), list):
        return f"expected a customer with recommendedMovies, got {body[:200]!r}"
    return None


def _page(content_type: str, body: bytes) -> str | None:
    if not content_type.startswith("text/html"):
        return f"expected the HTML page, got {content_type or 'no content type'}"
    return None


SMOKE = (
    Check("/api/movies", "movie-service", _movie_list),
    Check("/api/customers/1", "customer-service", _customer),
    Check("/", None, _page),
)


def fetch(url: str, timeout: float = 10) -> tuple[int, str, bytes]:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an HTTP URL: {url}")
    request = urllib.request.Request(url, headers={"User-Agent": "netflux-deploy-smoke"})  # noqa: S310 (checked above)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return answer.status, answer.headers.get("Content-Type", ""), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def problem(site_url: str, check: Check) -> str | None:
    """What is wrong with one check's answer, or None."""
    url = site_url.rstrip("/") + check.path
    try:
        status, content_type, body = fetch(url)
    except (OSError, urllib.error.URLError) as error:
        return f"GET {url}: {error}"
    if status != 200:
        return f"GET {url}: {status} {body[:300]!r}"
    wrong = check.accept(content_type, body)
    return f"GET {url}: {wrong}" if wrong else None


def smoke(
    site_url: str, *, timeout: float = 600, interval: float = 10, checks: Sequence[Check] = SMOKE
) -> list[tuple[Check, str]]:
    """Retried until every check passes or `timeout` runs out (a new distribution takes minutes
    to reach every edge location); the checks still failing at the end."""
    deadline = time.monotonic() + timeout
    while True:
        failing = [(c, p) for c in checks if (p := problem(site_url, c))]
        if not failing or time.monotonic() >= deadline:
            return failing
        time.sleep(interval)


def log_tail(logs: Any, group: str, lines: int = LOG_LINES) -> list[str]:
    """The last `lines` events of the group's newest stream."""
    streams = logs.describe_log_streams(
        logGroupName=group, orderBy="LastEventTime", descending=True, limit=1
    )["logStreams"]
    if not streams:
        return [f"(no log stream in {group} yet: no task of it has started)"]
    events = logs.get_log_events(
        logGroupName=group,
        logStreamName=streams[0]["logStreamName"],
        limit=lines,
        startFromHead=False,
    )["events"]
    return [event["message"] for event in events]


def print_logs(logs: Any, names: EnvironmentNames, services: Sequence[str]) -> None:
    for service in services:
        group = names.log_group(service)
        print(f"----- {service}: last {LOG_LINES} lines of {group} -----", flush=True)
        try:
            for line in log_tail(logs, group):
                print(line, flush=True)
        except logs.exceptions.ResourceNotFoundException:
            print(f"(log group {group} does not exist)", flush=True)


def wait_stable(ecs: Any, names: EnvironmentNames, *, delay: int = 15, attempts: int = 60) -> None:
    """ECS's own waiter: one deployment per service, running count = desired count

    (https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/ecs/waiter/ServicesStable.html)."""
    services = [names.ecs_service(spec.name) for spec in SERVICES]
    ecs.get_waiter("services_stable").wait(
        cluster=names.cluster,
        services=services,
        WaiterConfig={"Delay": delay, "MaxAttempts": attempts},
    )
    say(f"services stable: {', '.join(services)}")


def unhealthy_targets(elbv2: Any, names: EnvironmentNames) -> dict[str, str]:
    """Service -> why its target group is not all healthy (no entry when it is)."""
    wrong = {}
    for spec in SERVICES:
        [group] = elbv2.describe_target_groups(Names=[names.target_group(spec.name)])[
            "TargetGroups"
        ]
        health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
        states = [d["TargetHealth"]["State"] for d in health["TargetHealthDescriptions"]]
        if not states or any(state != "healthy" for state in states):
            wrong[spec.name] = f"targets {states or 'none registered'}"
    return wrong


def wait_healthy(
    elbv2: Any, names: EnvironmentNames, *, timeout: float = 300, interval: float = 10
) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while (wrong := unhealthy_targets(elbv2, names)) and time.monotonic() < deadline:
        time.sleep(interval)
    return wrong


def verify(
    *,
    ecs: Any,
    elbv2: Any,
    logs: Any,
    names: EnvironmentNames,
    site_url: str,
    smoke_timeout: float = 600,
) -> None:
    from botocore.exceptions import WaiterError

    try:
        wait_stable(ecs, names)
    except WaiterError as error:
        print_logs(logs, names, [spec.name for spec in SERVICES])
        raise DeployError(f"services did not become stable: {error}") from None
    wrong = wait_healthy(elbv2, names)
    if wrong:
        print_logs(logs, names, sorted(wrong))
        raise DeployError(f"load balancer targets not healthy: {wrong}")
    say("every load balancer target is healthy")
    verify_site(logs, names, site_url, timeout=smoke_timeout)


def verify_site(
    logs: Any, names: EnvironmentNames, site_url: str, *, timeout: float = 600, interval: float = 10
) -> None:
    failing = smoke(site_url, timeout=timeout, interval=interval)
    if failing:
        print_logs(logs, names, sorted({c.service for c, _ in failing if c.service}))
        raise DeployError("smoke test failed:\n" + "\n".join(p for _, p in failing))
    say(f"smoke test passed: {', '.join(c.path for c in SMOKE)} through {site_url}")
