"""Never silently revert a release.

Between two `make deploy`s the pipeline ships releases with its ECS deploy action: it registers a
revision of the running task definition with the new image
(https://docs.aws.amazon.com/codepipeline/latest/userguide/ecs-cd-pipeline.html). Terraform owns
the task definitions, so the next apply puts back the image of *its* variable. Before applying,
the deploy reads the image each service runs now; when that tag is a commit the checkout does not
contain, applying would take the release away: refused unless FORCE=1 (a deliberate roll back).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from netflux_catalogue import SERVICES
from netflux_infra.deploy import DeployError, say
from netflux_infra.deploy.shell import REPOSITORY
from netflux_infra.naming import EnvironmentNames


def image_tag(image: str) -> str | None:
    """`<registry>/<repo>:<tag>` -> `<tag>` (None for an untagged or digest reference)."""
    name = image.rsplit("/", 1)[-1]
    if "@" in name or ":" not in name:
        return None
    return name.rsplit(":", 1)[1]


def running_tags(ecs: Any, names: EnvironmentNames) -> Mapping[str, str | None]:
    """Service -> the image tag of its container in the task definition the service runs.
    Services that do not exist yet (a first deploy) are left out."""
    services = [names.ecs_service(spec.name) for spec in SERVICES]
    try:
        found = ecs.describe_services(cluster=names.cluster, services=services)["services"]
    except ecs.exceptions.ClusterNotFoundException:
        return {}
    tags: dict[str, str | None] = {}
    for service in found:
        if service.get("status") != "ACTIVE":
            continue
        definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
        containers = definition["taskDefinition"]["containerDefinitions"]
        name = service["serviceName"]
        # The service's own container is named after it (the init container is not).
        images = [c["image"] for c in containers if c["name"] == name]
        tags[name] = image_tag(images[0]) if images else None
    return tags


def contained_in_checkout(tag: str, checkout: Path = REPOSITORY) -> bool:
    """Whether `tag` names a commit that HEAD contains (itself included)."""
    result = subprocess.run(
        ["git", "merge-base", "--is-ancestor", tag, "HEAD"],
        cwd=checkout,
        capture_output=True,
        text=True,
    )
    return result.returncode == 0  # 1: not an ancestor; 128: not a commit here at all


def refuse_reverting(
    ecs: Any,
    names: EnvironmentNames,
    deploying: str,
    *,
    force: bool = False,
    checkout: Path = REPOSITORY,
) -> None:
    running = running_tags(ecs, names)
    strangers = {
        service: tag
        for service, tag in running.items()
        if tag != deploying and (tag is None or not contained_in_checkout(tag, checkout))
    }
    for service, tag in sorted(running.items()):
        say(f"{service} runs {tag or 'an untagged image'}")
    if not strangers:
        return
    listing = ", ".join(
        f"{s} runs {t or 'an untagged image'}" for s, t in sorted(strangers.items())
    )
    if force:
        say(f"FORCE=1: replacing what runs now ({listing}) with {deploying}")
        return
    raise DeployError(
        f"{listing}, which this checkout does not contain: deploying {deploying} would revert "
        "that release. Pull or merge it first (git fetch; git merge), or roll back on purpose "
        "with FORCE=1."
    )
