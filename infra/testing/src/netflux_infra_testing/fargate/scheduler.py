"""What the ECS service scheduler does with a service's tasks: start one from a revision, register
it with its target groups once running, judge it healthy (container health checks and target
health), and retire one (deregister, let the load balancer drain it, then stop it).

Health: a task with a health check counts once every essential container is HEALTHY
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/healthcheck.html); with a load
balancer its target must be healthy too, and the target's health is ignored for the service's
health check grace period only
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html#ECS-CreateService-request-healthCheckGracePeriodSeconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netflux_infra_testing.fargate.balancer import Balancer
from netflux_infra_testing.fargate.containers import Placement, Task, TaskRunner
from netflux_infra_testing.fargate.errors import RunFailed
from netflux_infra_testing.fargate.readback import EcsService


class TaskUnhealthy(RunFailed):
    """The scheduler stops such a task; a deployment counts it as failed."""


@dataclass
class ServiceTasks:
    service: EcsService
    placement: Placement
    tasks: list[Task] = field(default_factory=list)


class Scheduler:
    def __init__(self, runner: TaskRunner, balancer: Balancer, say: Callable[[str], None]) -> None:
        self.runner = runner
        self.balancer = balancer
        self.say = say

    def start_task(self, running: ServiceTasks, definition: dict[str, Any]) -> Task:
        task = self.runner.start(definition, running.placement, wait_for=120)
        for attachment in running.service.load_balancers:
            self.balancer.register(
                attachment["targetGroupArn"], task.ip, int(attachment["containerPort"])
            )
        running.tasks.append(task)
        return task

    def wait_healthy(self, running: ServiceTasks, task: Task) -> float:
        """Seconds until the task is healthy; TaskUnhealthy with ECS's reason otherwise."""
        groups = [
            (a["targetGroupArn"], int(a["containerPort"])) for a in running.service.load_balancers
        ]
        slowest = max(
            [
                g.config.interval * (g.config.healthy_threshold + g.config.unhealthy_threshold)
                for arn, _ in groups
                for g in [self.balancer.groups[arn]]
            ]
            or [0]
        )
        deadline = task.started_at + running.service.health_check_grace_seconds + slowest + 60
        while True:
            stopped = self.runner.essential_stopped(task)
            if stopped:
                logs = self.runner.docker.logs(next(iter(task.containers.values())), 10)
                raise TaskUnhealthy(f"task {task.id} stopped: {stopped}\n{logs}")
            in_grace = (
                time.monotonic() - task.started_at < running.service.health_check_grace_seconds
            )
            targets = [self.balancer.target(arn, task.ip, port) for arn, port in groups]
            for (arn, _), target in zip(groups, targets, strict=True):
                if target.state == "unhealthy" and not in_grace:
                    name = self.balancer.groups[arn].config.name
                    raise TaskUnhealthy(
                        f"task {task.id} failed ELB health checks in target group {name}: "
                        f"{target.reason}"
                    )
            if self.runner.healthy(task) and all(t.state == "healthy" for t in targets):
                return time.monotonic() - task.started_at
            if time.monotonic() > deadline:
                states = ", ".join(f"{t.state} ({t.reason})" for t in targets)
                raise TaskUnhealthy(f"task {task.id} not healthy in time: targets {states}")
            time.sleep(0.5)

    def deregister(self, running: ServiceTasks, task: Task) -> None:
        """Out of its target groups, after the load balancer has drained it."""
        for attachment in running.service.load_balancers:
            arn, port = attachment["targetGroupArn"], int(attachment["containerPort"])
            if (task.ip, port) in self.balancer.groups[arn].targets:
                self.balancer.deregister(arn, task.ip, port)

    def retire(self, running: ServiceTasks, task: Task) -> dict[str, int]:
        """Deregister (drain) and stop like ECS: SIGTERM, stopTimeout, SIGKILL."""
        self.deregister(running, task)
        codes = self.runner.stop(task)
        running.tasks.remove(task)
        return codes

    def discard(self, running: ServiceTasks, task: Task) -> None:
        """A failed task: out of the target groups at once, containers removed."""
        for attachment in running.service.load_balancers:
            arn, port = attachment["targetGroupArn"], int(attachment["containerPort"])
            with self.balancer.lock:
                self.balancer.groups[arn].targets.pop((task.ip, port), None)
        self.runner.remove(task)
        if task in running.tasks:
            running.tasks.remove(task)
