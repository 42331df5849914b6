"""A container definition's `secrets`, resolved the way the ECS agent does before a task starts.

`valueFrom` is a secret ARN, or `<arn>:<json-key>:<version-stage>:<version-id>` to take one key of
a JSON secret (empty parts mean the whole secret / AWSCURRENT):
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
A missing secret or key stops the task before any container runs (ResourceInitializationError):
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from netflux_infra_testing.fargate.aws import Emulator
from netflux_infra_testing.fargate.errors import TaskFailedToStart

SECRET_ARN_PARTS = 7  # arn:aws:secretsmanager:<region>:<account>:secret:<name-suffix>


def split_value_from(value_from: str) -> tuple[str, str, str, str]:
    """(secret ARN, JSON key, version stage, version id); empty strings for what is not given."""
    parts = value_from.split(":")
    arn = ":".join(parts[:SECRET_ARN_PARTS])
    rest = [*parts[SECRET_ARN_PARTS:], "", "", ""]
    return arn, rest[0], rest[1], rest[2]


def resolve(aws: Emulator, task: str, secrets: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Environment variable -> value for every entry; raises like the agent on the first miss."""
    manager = aws.client("secretsmanager")
    values: dict[str, str] = {}
    cache: dict[tuple[str, str, str], str] = {}
    for entry in secrets:
        arn, key, stage, version = split_value_from(entry["valueFrom"])
        if (arn, stage, version) not in cache:
            request: dict[str, str] = {"SecretId": arn}
            if version:
                request["VersionId"] = version
            elif stage:
                request["VersionStage"] = stage
            try:
                cache[(arn, stage, version)] = manager.get_secret_value(**request)["SecretString"]
            except manager.exceptions.ResourceNotFoundException as exc:
                raise _failed(task, entry, f"secret {arn} not found") from exc
        text = cache[(arn, stage, version)]
        if not key:
            values[entry["name"]] = text
            continue
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise _failed(
                task, entry, f"secret {arn} is not JSON, cannot take key {key!r}"
            ) from exc
        if key not in document:
            present = ", ".join(sorted(document)) or "none"
            raise _failed(
                task,
                entry,
                f"retrieved secret from Secrets Manager did not contain json key {key!r} "
                f"(keys present: {present})",
            )
        values[entry["name"]] = str(document[key])
    return values


def _failed(task: str, entry: dict[str, Any], reason: str) -> TaskFailedToStart:
    return TaskFailedToStart(
        f"task {task} stopped: ResourceInitializationError: unable to pull secrets or registry "
        f"auth: {entry['name']} <- {entry['valueFrom']}: {reason}"
    )
