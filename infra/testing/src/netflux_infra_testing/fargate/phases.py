"""The rehearsal's run phases after the apply: run -> smoke -> release -> rollback -> stop.

    python -m netflux_infra_testing.fargate.phases --endpoint http://127.0.0.1:5000 staging

(against an emulator that already holds the applied environment; `make rehearse` calls `run`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx

from netflux_infra.config import ENVIRONMENTS, PIPELINE
from netflux_infra.naming import PipelineNames
from netflux_infra_testing.fargate.aws import Emulator
from netflux_infra_testing.fargate.docker import Docker
from netflux_infra_testing.fargate.drain import stop_with_request_in_flight
from netflux_infra_testing.fargate.enforcement import assume_synthesized_role, enforce, relax
from netflux_infra_testing.fargate.environment import RunningEnvironment, bring_down, bring_up
from netflux_infra_testing.fargate.errors import RunFailed
from netflux_infra_testing.fargate.release import release

REPO = Path(__file__).resolve().parents[5]


def say(message: str) -> None:
    print(f"[rehearse] {message}", flush=True)


def smoke(running: RunningEnvironment) -> None:
    """The project's own smoke test, through CloudFront + ALB (the page's origin)."""
    url = running.balancer.url
    result = subprocess.run(
        [sys.executable, "-m", "netflux_devstack.smoke", "--movie", url, "--customer", url,
         "--no-health"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    if result.returncode != 0:
        raise RunFailed(f"smoke test through the edge failed:\n{result.stdout}{result.stderr}")
    say(f"smoke test passed through the CloudFront/ALB stand-in at {url}")


def browser(running: RunningEnvironment) -> None:
    """The project's browser tests against the CloudFront stand-in; their database access (to
    plant test data) uses movie-service's own login from its secret, over TLS."""
    if os.environ.get("NETFLUX_REHEARSAL_BROWSER") == "0" or not Path("/usr/bin/chromium").exists():
        say("browser tests skipped (no /usr/bin/chromium, or NETFLUX_REHEARSAL_BROWSER=0)")
        return
    movie = running.services["movie-service"].service.task_definition["containerDefinitions"]
    [arn] = {
        e["valueFrom"].split(":password")[0]
        for c in movie
        for e in c.get("secrets", [])
        if e["name"] == "DB_PASSWORD"
    }
    login = json.loads(
        running.aws.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    )
    db = running.database
    url = (
        f"postgresql://{login['username']}:{quote(login['password'], safe='')}@{db.ip}:{db.port}"
        f"/{login.get('dbname', 'netflux')}?sslmode=require"
    )
    env = {**os.environ, "NETFLUX_WEB_URL": running.balancer.url, "NETFLUX_WEB_MOVIE_DB_URL": url}
    env.pop("NETFLUX_STOP_MOVIE", None)  # stopping a service is the stop phase's business
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/browser", "-q", "-p", "no:cacheprovider"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if result.returncode != 0:
        raise RunFailed(f"browser tests through the edge failed:\n{result.stdout[-4000:]}")
    say(f"browser tests through the edge: {result.stdout.strip().splitlines()[-1]}")


def drained(running: RunningEnvironment) -> None:
    """Stop one customer-service task with a PATCH in flight: it must be answered (204), and
    the container must exit 0 before its stopTimeout."""
    tasks = running.services["customer-service"]
    task = tasks.tasks[0]
    port = int(tasks.service.load_balancers[0]["containerPort"])
    genre = httpx.get(f"{running.balancer.url}/api/customers/3", timeout=10).json()
    running.scheduler.deregister(tasks, task)
    result = stop_with_request_in_flight(
        running.scheduler.runner, task, port, "PATCH", "/api/customers/3/genre",
        {"favoriteGenre": genre["favoriteGenre"]},
    )  # fmt: skip
    tasks.tasks.remove(task)
    limit = task.stop_timeouts["customer-service"]
    # The service must exit by itself; its db-init container exited 0 long before, and no
    # container of the task may have needed SIGKILL (137).
    codes = result.exit_codes
    if (
        " 204 " not in result.status_line + " "
        or codes.get("customer-service") != 0
        or (137 in codes.values())
    ):
        raise RunFailed(
            f"customer-service did not drain on SIGTERM: the in-flight PATCH got "
            f"{result.status_line!r}, exit codes {result.exit_codes} (137 = SIGKILL after "
            f"stopTimeout {limit} s)"
        )
    say(
        f"drained: a PATCH in flight at SIGTERM was answered ({result.status_line}); "
        f"customer-service exited 0 after {result.stop_seconds:.1f} s (stopTimeout {limit} s)"
    )


def good_release(
    running: RunningEnvironment,
    admin: Emulator,
    pipeline: Emulator,
    environment: str,
    services: list[str],
    role: str,
) -> None:
    tag = uuid.uuid4().hex[:7]
    outcomes, load = release(
        running, admin, pipeline, environment, services, tag, say, pipeline_role=role
    )
    for outcome in outcomes:
        if not outcome.completed:
            raise RunFailed(
                f"release {tag}: {outcome.service} rolled back:\n{outcome.failed_tasks}"
            )
        say(f"release {tag}: {outcome.service} rolled to {outcome.revision.rsplit('/', 1)[-1]} "
            f"in {outcome.seconds:.0f} s")  # fmt: skip
    if load.failures:
        raise RunFailed(
            f"release {tag}: {len(load.failures)} of {load.sent} requests failed during the "
            f"rolling update, e.g. {load.failures[:5]}"
        )
    say(f"release {tag}: {load.sent} requests through the edge during the update, none failed")


def rolled_back(
    running: RunningEnvironment, admin: Emulator, pipeline: Emulator, environment: str, role: str
) -> None:
    """A release whose image exits at start: the circuit breaker must roll it back while the
    old task keeps serving."""
    name = "movie-service"
    before = running.services[name].service.task_definition["taskDefinitionArn"]
    tag = uuid.uuid4().hex[:7]
    [outcome], load = release(
        running, admin, pipeline, environment, [name], tag, say, broken=True, pipeline_role=role
    )
    if outcome.completed:
        raise RunFailed(f"release {tag}: a broken image was deployed")
    [service] = admin.client("ecs").describe_services(
        cluster=running.environment.cluster_arn, services=[name]
    )["services"]
    if service["taskDefinition"] != before:
        raise RunFailed(f"release {tag}: {name} runs {service['taskDefinition']}, not {before}")
    if load.failures:
        raise RunFailed(
            f"release {tag}: {len(load.failures)} of {load.sent} requests failed while the "
            f"broken release was rolled back, e.g. {load.failures[:5]}"
        )
    say(
        f"release {tag}: circuit breaker after {len(outcome.failed_tasks)} failed tasks "
        f"({outcome.failed_tasks[0].splitlines()[0]}); {name} back on "
        f"{before.rsplit('/', 1)[-1]}; {load.sent} requests during it, none failed"
    )


def run(
    emulator: Emulator,
    environment: str,
    stacks: Path,
    *,
    hold: Callable[[RunningEnvironment], None] | None = None,
) -> dict[str, float]:
    """Everything after the apply. IAM is enforced on the emulator from the release on: the
    runner then acts as an administrator, the deploy action as the pipeline role. (The read-back
    before it runs unauthenticated: moto 5.2.5 answers CloudFront's ListDistributions with 403
    to any signed caller under enforcement, the administrator too.)"""
    prefix = ENVIRONMENTS[environment].names.prefix
    docker = Docker(f"nfx-{uuid.uuid4().hex[:6]}")
    timings: dict[str, float] = {}
    names = PipelineNames(PIPELINE.name)
    try:
        started = time.monotonic()
        running = bring_up(emulator, prefix, docker, say)
        timings["run: up"] = time.monotonic() - started
        timings |= {f"run: {k}": v for k, v in running.timings.items()}
        started = time.monotonic()
        smoke(running)
        timings["smoke"] = time.monotonic() - started
        started = time.monotonic()
        browser(running)
        timings["browser tests"] = time.monotonic() - started
        aws = enforce(emulator)
        running.aws = running.scheduler.runner.aws = running.balancer.aws = aws
        pipeline = assume_synthesized_role(
            aws, stacks / names.stack / "cdk.tf.json", names.pipeline_role
        )
        say(f"IAM enforced on the emulator; the deploy action acts as {names.pipeline_role}")
        if hold is not None:
            hold(running)
        services = sorted(running.services)
        started = time.monotonic()
        good_release(running, aws, pipeline, environment, services, names.pipeline_role)
        timings["release"] = time.monotonic() - started
        started = time.monotonic()
        rolled_back(running, aws, pipeline, environment, names.pipeline_role)
        timings["rollback"] = time.monotonic() - started
        started = time.monotonic()
        drained(running)
        codes = bring_down(running, say)
        timings["stop"] = time.monotonic() - started
        say(f"stopped like ECS (SIGTERM, stopTimeout, SIGKILL): exit codes {codes}")
        running.balancer.stop()
    finally:
        relax(emulator)
        if not os.environ.get("NETFLUX_REHEARSAL_KEEP_CONTAINERS"):
            docker.cleanup()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--stacks", required=True, type=Path, help="the synthesized stacks")
    parser.add_argument("environment", choices=sorted(ENVIRONMENTS))
    args = parser.parse_args()
    aws = Emulator(args.endpoint, ENVIRONMENTS[args.environment].region)
    for phase, seconds in run(aws, args.environment, args.stacks).items():
        say(f"{phase}: {seconds:.1f} s")


if __name__ == "__main__":
    main()
