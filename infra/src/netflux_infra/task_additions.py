"""What optional features (ECS Exec, tracing, the read replica) add to a service's task.

Each feature module returns one `TaskAdditions`; the stack adds them up per service and
`ecs_service.FargateService` applies the sum. A feature that is off returns `NOTHING`, so a
switched-off feature leaves no trace in the task: no variable, no container, no permission.
Plain data, no cdktf import: testable without synthesis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class TaskAdditions:
    # Variables of the service's own container (they win over the common ones).
    environment: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    # Keys set on the service's own container definition (e.g. linuxParameters).
    container_settings: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    # Further containers of the task, as container definitions.
    sidecars: tuple[Mapping[str, Any], ...] = ()
    # IAM statements for the task role (what the containers call), as iam.statement() dicts.
    task_role_statements: tuple[Mapping[str, Any], ...] = ()
    # ECR repositories (ARNs) the execution role may pull from, and the extra actions it needs
    # there (a pull-through cache creates and imports on the first pull).
    pull_repositories: tuple[str, ...] = ()
    pull_actions: tuple[str, ...] = ()
    enable_execute_command: bool = False

    def __add__(self, other: TaskAdditions) -> TaskAdditions:
        clash = (set(self.environment) & set(other.environment)) | (
            set(self.container_settings) & set(other.container_settings)
        )
        if clash:  # two features must not silently overwrite each other
            raise ValueError(f"task additions set the same keys: {sorted(clash)}")
        return TaskAdditions(
            environment={**self.environment, **other.environment},
            container_settings={**self.container_settings, **other.container_settings},
            sidecars=self.sidecars + other.sidecars,
            task_role_statements=self.task_role_statements + other.task_role_statements,
            pull_repositories=self.pull_repositories + other.pull_repositories,
            pull_actions=tuple(dict.fromkeys(self.pull_actions + other.pull_actions)),
            enable_execute_command=self.enable_execute_command or other.enable_execute_command,
        )


NOTHING = TaskAdditions()
