"""A release, rehearsed: the buildspec's `make release` for a new tag, the pipeline's ECS deploy
action against the emulator, and the rolling update of the running tasks.

Deploy action (https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECS.html,
imagedefinitions.json: https://docs.aws.amazon.com/codepipeline/latest/userguide/file-reference.html#pipelines-create-image-definitions):
DescribeServices, DescribeTaskDefinition, RegisterTaskDefinition (the running revision with each
named container's image replaced), UpdateService to the new revision.

Rolling update with minimumHealthyPercent 100 / maximumPercent 200: new tasks start and must be
healthy before old ones are drained and stopped
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html).
Deployment circuit breaker: the deployment fails after min(200, max(3, ceil(desired/2))) failed
tasks, and with rollback on, the service returns to the last COMPLETED deployment
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from netflux_infra_testing.fargate import registry
from netflux_infra_testing.fargate.aws import Emulator
from netflux_infra_testing.fargate.containers import Task
from netflux_infra_testing.fargate.enforcement import check_implied
from netflux_infra_testing.fargate.environment import RunningEnvironment
from netflux_infra_testing.fargate.errors import RunFailed
from netflux_infra_testing.fargate.readback import read_service
from netflux_infra_testing.fargate.scheduler import ServiceTasks, TaskUnhealthy

REPO = Path(__file__).resolve().parents[5]
# What RegisterTaskDefinition takes back from DescribeTaskDefinition (the rest is read-only).
REGISTER_FIELDS = (
    "family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions",
    "volumes", "placementConstraints", "requiresCompatibilities", "cpu", "memory",
    "runtimePlatform", "pidMode", "ipcMode", "proxyConfiguration", "ephemeralStorage",
)  # fmt: skip


def image_definitions(
    aws: Emulator, environment: str, tag: str, services: list[str], registry_host: str
) -> dict[str, list[dict[str, str]]]:
    """Run the real `make release` (docker push into the emulator's ECR); returns each
    service's imagedefinitions.json."""
    with tempfile.TemporaryDirectory() as folder:
        wrapper = registry.docker_wrapper(Path(folder) / "bin")
        env = {
            **os.environ,
            "PATH": f"{wrapper}:{os.environ['PATH']}",
            registry.ENDPOINT_VARIABLE: aws.endpoint,
            registry.REGION_VARIABLE: aws.region,
            registry.KEY_VARIABLE: aws.credentials.access_key,
            registry.SECRET_VARIABLE: aws.credentials.secret_key,
        }
        result = subprocess.run(
            ["make", "-f", str(REPO / "Makefile"), "release", f"REGISTRY={registry_host}",
             f"IMAGE_TAG={tag}", f"RELEASE_ENVIRONMENTS={environment}",
             f"SERVICES={' '.join(services)}"],
            cwd=folder, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if result.returncode != 0:
            raise RunFailed(f"make release failed:\n{result.stdout}{result.stderr}")
        base = Path(folder) / "build" / "imagedefinitions" / environment
        return {s: json.loads((base / s / "imagedefinitions.json").read_text()) for s in services}


def deploy_action(
    aws: Emulator,
    cluster: str,
    service: str,
    definitions: list[dict[str, str]],
    *,
    role: tuple[Emulator, str] | None = None,
) -> str:
    """The ECS standard deploy action's calls; returns the new task definition ARN. With
    `role` (an administrator's emulator, the role's name), what AWS authorizes besides the API
    actions is checked for that role first."""
    ecs = aws.client("ecs")
    [described] = ecs.describe_services(cluster=cluster, services=[service])["services"]
    current = ecs.describe_task_definition(
        taskDefinition=described["taskDefinition"], include=["TAGS"]
    )
    definition = current["taskDefinition"]
    images = {d["name"]: d["imageUri"] for d in definitions}
    unknown = set(images) - {c["name"] for c in definition["containerDefinitions"]}
    if unknown:
        raise RunFailed(f"imagedefinitions name containers {sorted(unknown)} not in {service}")
    request: dict[str, Any] = {k: definition[k] for k in REGISTER_FIELDS if definition.get(k)}
    request["containerDefinitions"] = [
        {**c, "image": images.get(c["name"], c["image"])}
        for c in definition["containerDefinitions"]
    ]
    if current.get("tags"):
        request["tags"] = current["tags"]
    if role is not None:
        admin, role_name = role
        family_arn = definition["taskDefinitionArn"].rsplit(":", 1)[0]
        implied: list[tuple[str, str, dict[str, Any]]] = (
            [("ecs:TagResource", f"{family_arn}:*", {})] if request.get("tags") else []
        )
        implied += [
            ("iam:PassRole", request[k], {"iam:PassedToService": "ecs-tasks.amazonaws.com"})
            for k in ("taskRoleArn", "executionRoleArn")
            if request.get(k)
        ]
        check_implied(admin, role_name, implied)
    registered = ecs.register_task_definition(**request)["taskDefinition"]
    ecs.update_service(
        cluster=cluster, service=service, taskDefinition=registered["taskDefinitionArn"]
    )
    return str(registered["taskDefinitionArn"])


@dataclass
class Load:
    """A bounded request loop through the edge, counting what did not answer 2xx."""

    url: str
    paths: tuple[str, ...] = ("/api/movies", "/api/customers/1")
    limit: int = 20000
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Load:
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)

    def _loop(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self.stop.is_set() and self.sent < self.limit:
                path = self.paths[self.sent % len(self.paths)]
                self.sent += 1
                try:
                    status = http.get(self.url + path).status_code
                    if status >= 300:
                        self.failures.append(f"{path} -> {status}")
                except httpx.HTTPError as exc:
                    self.failures.append(f"{path} -> {type(exc).__name__}")
                time.sleep(0.02)


@dataclass(frozen=True)
class Outcome:
    service: str
    revision: str
    completed: bool
    failed_tasks: list[str]
    seconds: float


def roll(
    running: RunningEnvironment,
    name: str,
    admin: Emulator,
    say: Callable[[str], None],
) -> Outcome:
    """Roll one service's tasks to the revision the emulator now names; apply the circuit
    breaker when new tasks fail."""
    started = time.monotonic()
    tasks = running.services[name]
    old_tasks = list(tasks.tasks)
    old_definition = tasks.service.task_definition
    fresh = read_service(admin, tasks.service.cluster_arn, tasks.service.name)
    revision = fresh.task_definition["taskDefinitionArn"]
    breaker = (fresh.deployment_configuration or {}).get("deploymentCircuitBreaker") or {}
    threshold = min(200, max(3, math.ceil(fresh.desired_count / 2)))
    failed: list[str] = []
    new_tasks: list[Task] = []
    while len(new_tasks) < fresh.desired_count:
        try:
            task = running.scheduler.start_task(tasks, fresh.task_definition)
        except RunFailed as exc:  # the task stopped before it ran (secrets, image)
            failed.append(str(exc))
        else:
            try:
                running.scheduler.wait_healthy(tasks, task)
                new_tasks.append(task)
                continue
            except TaskUnhealthy as exc:
                failed.append(str(exc))
                running.scheduler.discard(tasks, task)
        say(f"{name}: new task failed ({len(failed)}/{threshold}): {failed[-1].splitlines()[0]}")
        if not breaker.get("enable") and len(failed) >= threshold:
            raise RunFailed(f"{name}: deployment of {revision} keeps failing:\n{failed[-1]}")
        if breaker.get("enable") and len(failed) >= threshold:
            for task in new_tasks:
                running.scheduler.retire(tasks, task)
            if breaker.get("rollback"):
                # ECS itself returns the service to the last COMPLETED deployment's revision.
                admin.client("ecs").update_service(
                    cluster=tasks.service.cluster_arn,
                    service=tasks.service.name,
                    taskDefinition=old_definition["taskDefinitionArn"],
                )
            return Outcome(name, revision, False, failed, time.monotonic() - started)
    for task in old_tasks:
        running.scheduler.retire(tasks, task)
    tasks.service = fresh
    return Outcome(name, revision, True, failed, time.monotonic() - started)


def service_tasks(running: RunningEnvironment, name: str) -> ServiceTasks:
    return running.services[name]


def build_tag(service: str, source: str, tag: str, *, broken: bool = False) -> None:
    """Stands for `make images IMAGE_TAG=<tag>`: the same content under the release's tag, or
    (broken) an image whose process exits at start, as a bad release would."""
    if not broken:
        subprocess.run(["docker", "tag", source, f"netflux/{service}:{tag}"], check=True)
        return
    dockerfile = (
        f"FROM {source}\n"
        """ENTRYPOINT ["python3", "-c", "raise SystemExit('a broken release: exits at start')"]\n"""
        "CMD []\n"
    )
    subprocess.run(
        ["docker", "build", "-q", "-t", f"netflux/{service}:{tag}", "-"],
        input=dockerfile, text=True, check=True, capture_output=True,
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
    )  # fmt: skip


def release(
    running: RunningEnvironment,
    admin: Emulator,
    pipeline: Emulator,
    environment: str,
    services: list[str],
    tag: str,
    say: Callable[[str], None],
    *,
    broken: bool = False,
    pipeline_role: str | None = None,
) -> tuple[list[Outcome], Load]:
    """Build, `make release`, deploy action (as the pipeline), and the rolling update of every
    named service at once, under a bounded load loop through the edge."""
    images = {}
    for name in services:
        current = running.services[name].service.task_definition["containerDefinitions"]
        [image] = [c["image"] for c in current if c["name"] == name]
        images[name] = image
        source_tag = image.rsplit(":", 1)[1]
        build_tag(name, f"netflux/{name}:{source_tag}", tag, broken=broken)
    registry_host = next(iter(images.values())).split("/", 1)[0]
    definitions = image_definitions(admin, environment, tag, services, registry_host)
    cluster = running.environment.cluster_arn
    outcomes: dict[str, Outcome] = {}
    errors: list[BaseException] = []

    def roll_one(name: str) -> None:
        try:
            outcomes[name] = roll(running, name, admin, say)
        except BaseException as exc:  # reported below, in the caller's thread
            errors.append(exc)

    with Load(running.balancer.url) as load:
        for name in services:
            role = (admin, pipeline_role) if pipeline_role else None
            arn = deploy_action(pipeline, cluster, name, definitions[name], role=role)
            uri = definitions[name][0]["imageUri"]
            say(f"deploy action: {name} -> {arn.rsplit('/', 1)[-1]} ({uri})")
        threads = [threading.Thread(target=roll_one, args=(n,)) for n in services]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return [outcomes[n] for n in services], load
