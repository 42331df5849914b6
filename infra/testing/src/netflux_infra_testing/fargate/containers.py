"""One ECS task run with Docker, from its task definition, the way the Fargate agent runs it.

- awsvpc: every container of a task shares one network namespace (they reach each other on
  localhost). A pause container holds it, as on Fargate, and carries the task's IP and its
  network aliases; the task's containers join it with `--network container:<pause>`.
- `secrets` are resolved before any container starts (secrets.py); images map to local ones
  (images.py).
- `dependsOn` conditions START, COMPLETE, SUCCESS, HEALTHY are waited for in order:
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDependency.html
- `healthCheck` becomes Docker's health check with the same command and timings (ECS defaults
  interval 30, timeout 5, retries 3, startPeriod off):
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html
- `stopTimeout` (default 30 s on Fargate) is the time between SIGTERM and SIGKILL on stop:
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html
- `user`, `readonlyRootFilesystem` (--read-only), `command`, `entryPoint`, `workingDirectory`,
  container or task CPU units (1024 = one vCPU, --cpus) and memory (MiB, --memory).
Not modelled: log drivers (docker logs keeps the output), volumes, ulimits, linuxParameters.
"""

from __future__ import annotations

import os
import shlex
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netflux_infra_testing.fargate import execution_role, images, secrets
from netflux_infra_testing.fargate.aws import Emulator
from netflux_infra_testing.fargate.docker import Docker
from netflux_infra_testing.fargate.errors import RunFailed, TaskFailedToStart

PAUSE_IMAGE_VARIABLE = "PYTHON_IMAGE"  # any image with `sleep` does; CI has this stand-in
PAUSE_IMAGE_DEFAULT = "netflux-ci/python:standin"
DEFAULT_STOP_TIMEOUT = 30


@dataclass(frozen=True)
class Placement:
    """Where a task's network namespace lives: the VPC network, and the Service Connect
    namespace networks with the names it is reachable under there."""

    vpc_network: str
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # network -> names


@dataclass
class Task:
    id: str
    family: str
    revision: int
    definition: dict[str, Any]
    pause: str = ""
    ip: str = ""
    containers: dict[str, str] = field(default_factory=dict)  # definition name -> docker name
    started_at: float = 0.0

    @property
    def stop_timeouts(self) -> dict[str, int]:
        return {
            c["name"]: int(c.get("stopTimeout", DEFAULT_STOP_TIMEOUT))
            for c in self.definition["containerDefinitions"]
        }


class TaskRunner:
    def __init__(
        self,
        docker: Docker,
        aws: Emulator,
        env_prefix: str,
        pull_through: Mapping[str, str],
        say: Callable[[str], None],
    ) -> None:
        self.docker = docker
        self.aws = aws
        self.env_prefix = env_prefix
        self.pull_through = pull_through
        self.say = say
        self.count = 0
        self.checked_roles: set[str] = set()

    def start(self, definition: dict[str, Any], placement: Placement, *, wait_for: float) -> Task:
        """Create and start the task's containers in dependency order; returns once every
        essential container runs (not yet healthy). Raises TaskFailedToStart like ECS would stop
        the task, with its reason, after removing what it started."""
        self.count += 1
        family, revision = definition["family"], int(definition["revision"])
        task = Task(f"{family}-{revision}-t{self.count}", family, revision, definition)
        containers = definition["containerDefinitions"]
        if definition["taskDefinitionArn"] not in self.checked_roles:
            execution_role.check_execution_role(self.aws, definition)
            self.checked_roles.add(definition["taskDefinitionArn"])
        # The agent fetches every secret and pulls every image before starting anything.
        environments = {
            c["name"]: {e["name"]: e["value"] for e in c.get("environment", [])}
            | secrets.resolve(self.aws, task.id, c.get("secrets", []))
            for c in containers
        }
        local = {
            c["name"]: images.local_image(c["image"], self.env_prefix, self.pull_through)
            for c in containers
        }
        try:
            self._pause(task, placement)
            for container in _dependency_order(containers):
                self._wait_dependencies(task, container, wait_for)
                self._start_container(task, container, local[container["name"]], environments)
            task.started_at = time.monotonic()
            return task
        except RunFailed:
            self.remove(task)
            raise

    def _pause(self, task: Task, placement: Placement) -> None:
        image = os.environ.get(PAUSE_IMAGE_VARIABLE, PAUSE_IMAGE_DEFAULT)
        task.pause = f"{self.docker.run_id}-{task.id}"
        self.docker(
            "create", "--name", task.pause, "--label", self.docker.label,
            "--network", placement.vpc_network, "--entrypoint", "sleep", image, "infinity",
        )  # fmt: skip
        for network, names in placement.aliases.items():
            aliases = [a for name in names for a in ("--alias", name)]
            self.docker("network", "connect", *aliases, network, task.pause)
        self.docker("start", task.pause)
        networks = self.docker.inspect(task.pause)["NetworkSettings"]["Networks"]
        task.ip = networks[placement.vpc_network]["IPAddress"]

    def _start_container(
        self,
        task: Task,
        container: dict[str, Any],
        image: str,
        environments: Mapping[str, Mapping[str, str]],
    ) -> None:
        name = f"{task.pause}-{container['name']}"
        args = [
            "create", "--name", name, "--label", self.docker.label,
            "--network", f"container:{task.pause}",
            "--stop-timeout", str(int(container.get("stopTimeout", DEFAULT_STOP_TIMEOUT))),
        ]  # fmt: skip
        args += _limits(task.definition, container)
        if container.get("user"):
            args += ["--user", str(container["user"])]
        if container.get("readonlyRootFilesystem"):
            args.append("--read-only")
        if container.get("workingDirectory"):
            args += ["--workdir", container["workingDirectory"]]
        args += _health_args(container.get("healthCheck"))
        entry_point = container.get("entryPoint") or []
        if entry_point:
            args += ["--entrypoint", entry_point[0]]
        # Secrets go through a private file, not the process list.
        with tempfile.TemporaryDirectory() as folder:
            env_file = Path(folder) / "env"
            env_file.touch(mode=0o600)
            env_file.write_text(
                "".join(f"{k}={v}\n" for k, v in environments[container["name"]].items())
            )
            args += ["--env-file", str(env_file), image, *entry_point[1:]]
            args += container.get("command") or []
            self.docker(*args)
        self.docker("start", name)
        task.containers[container["name"]] = name

    def _wait_dependencies(self, task: Task, container: dict[str, Any], wait_for: float) -> None:
        for dependency in container.get("dependsOn") or []:
            other, condition = dependency["containerName"], dependency["condition"]
            deadline = time.monotonic() + wait_for
            while True:
                state = self.docker.inspect(task.containers[other])["State"]
                met, failed = _condition(state, condition)
                if met:
                    break
                if failed or time.monotonic() > deadline:
                    logs = self.docker.logs(task.containers[other], 15)
                    raise TaskFailedToStart(
                        f"task {task.id} stopped: container {container['name']} depends on "
                        f"{other} reaching {condition}, but {other} "
                        f"{_describe(state)}; its last output:\n{logs}"
                    )
                time.sleep(0.5)

    def state(self, task: Task, container: str) -> dict[str, Any]:
        return dict(self.docker.inspect(task.containers[container])["State"])

    def essential_stopped(self, task: Task) -> str | None:
        """Why the task has stopped (an essential container exited), or None while it runs."""
        for container in task.definition["containerDefinitions"]:
            if container.get("essential", True) and container["name"] in task.containers:
                state = self.state(task, container["name"])
                if not state["Running"]:
                    return (
                        f"Essential container in task exited: {container['name']} "
                        f"{_describe(state)}"
                    )
        return None

    def healthy(self, task: Task) -> bool:
        """ECS task health: every essential container with a health check is HEALTHY.
        https://docs.aws.amazon.com/AmazonECS/latest/developerguide/healthcheck.html"""
        for container in task.definition["containerDefinitions"]:
            if container.get("essential", True) and container.get("healthCheck"):
                health = self.state(task, container["name"]).get("Health") or {}
                if health.get("Status") != "healthy":
                    return False
        return True

    def stop(self, task: Task) -> dict[str, int]:
        """Stop like ECS: SIGTERM to each container (dependents first), SIGKILL after its
        stopTimeout. Returns each container's exit code."""
        order = [c["name"] for c in _dependency_order(task.definition["containerDefinitions"])]
        codes = {}
        for name in reversed(order):
            if name not in task.containers:
                continue
            timeout = task.stop_timeouts[name]
            self.docker("stop", "-t", str(timeout), task.containers[name], timeout=timeout + 30)
            codes[name] = int(self.state(task, name)["ExitCode"])
        self.remove(task)
        return codes

    def remove(self, task: Task) -> None:
        names = [*task.containers.values(), task.pause]
        self.docker("rm", "-f", "-v", *[n for n in names if n], check=False)


def _dependency_order(containers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_name = {c["name"]: c for c in containers}
    ordered: list[dict[str, Any]] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if any(c["name"] == name for c in ordered):
            return
        if name in visiting:
            raise RunFailed(f"container dependencies form a cycle through {name}")
        visiting.add(name)
        for dependency in by_name[name].get("dependsOn") or []:
            if dependency["containerName"] not in by_name:
                raise RunFailed(
                    f"{name} depends on {dependency['containerName']}: no such container"
                )
            visit(dependency["containerName"])
        ordered.append(by_name[name])

    for container in containers:
        visit(container["name"])
    return ordered


def _condition(state: dict[str, Any], condition: str) -> tuple[bool, bool]:
    """(met, can never be met) for a dependency condition on a container's Docker state."""
    exited = not state["Running"] and state.get("FinishedAt", "").startswith(("1", "2"))
    code = int(state.get("ExitCode", 0))
    if condition == "START":
        return True, False
    if condition == "COMPLETE":
        return exited, False
    if condition == "SUCCESS":
        return exited and code == 0, exited and code != 0
    if condition == "HEALTHY":
        status = (state.get("Health") or {}).get("Status")
        return status == "healthy", status == "unhealthy" or exited
    raise RunFailed(f"unknown dependsOn condition {condition}")


def _describe(state: dict[str, Any]) -> str:
    if state["Running"]:
        health = (state.get("Health") or {}).get("Status")
        return f"is running ({health or 'no health check'})"
    return f"exited with code {state.get('ExitCode')}"


def _health_args(check: dict[str, Any] | None) -> list[str]:
    if not check:
        return []
    kind, *rest = check["command"]
    # Docker's --health-cmd is always a shell command; CMD's argument list is quoted for it.
    command = rest[0] if kind == "CMD-SHELL" else shlex.join(rest)
    return [
        "--health-cmd", command,
        "--health-interval", f"{int(check.get('interval', 30))}s",
        "--health-timeout", f"{int(check.get('timeout', 5))}s",
        "--health-retries", str(int(check.get("retries", 3))),
        "--health-start-period", f"{int(check.get('startPeriod', 0))}s",
    ]  # fmt: skip


def _limits(task: dict[str, Any], container: dict[str, Any]) -> list[str]:
    """Container-level CPU/memory when set, else the task's (Docker has no task-level cgroup
    here, so each container gets at most the whole task's share)."""
    cpu = container.get("cpu") or task.get("cpu")
    memory = container.get("memory") or task.get("memory")
    args = []
    if cpu and int(cpu) > 0:
        args += ["--cpus", f"{int(cpu) / 1024:.3f}"]
    if memory:
        args += ["--memory", f"{int(memory)}m"]
    if container.get("memoryReservation"):
        args += ["--memory-reservation", f"{int(container['memoryReservation'])}m"]
    return args
