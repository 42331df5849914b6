"""Which image tag a deploy runs, and making sure both repositories hold it.

Without IMAGE_TAG the tag is the checkout's commit (`git rev-parse --short=12 HEAD`): the images
are built from that commit (`make images`) and pushed, so a dirty tree is refused — its images
would carry changes no commit names. With IMAGE_TAG (a release the pipeline already pushed, or an
older one to roll back to) nothing is built: the tag must already be in every repository.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netflux_catalogue import SERVICES
from netflux_infra.deploy import DeployError, say
from netflux_infra.deploy.shell import REPOSITORY, run
from netflux_infra.image_tag import checked
from netflux_infra.naming import EnvironmentNames

LOCAL_IMAGE = "netflux/{service}:{tag}"  # what `make images` builds


@dataclass(frozen=True)
class Release:
    tag: str
    build: bool  # built from the checkout (else: given, must already be pushed)


def choose_tag(explicit: str | None, checkout: Path = REPOSITORY) -> Release:
    if explicit:
        return Release(checked(explicit), build=False)
    dirty = run(["git", "status", "--porcelain"], cwd=checkout, capture=True).strip()
    if dirty:
        raise DeployError(
            "the working tree has uncommitted changes: commit them (the image tag is the commit), "
            "or deploy an image already pushed with IMAGE_TAG=<tag>\n" + dirty[:1000]
        )
    tag = run(["git", "rev-parse", "--short=12", "HEAD"], cwd=checkout, capture=True).strip()
    return Release(checked(tag), build=True)


def missing_from(ecr: Any, names: EnvironmentNames, tag: str) -> list[str]:
    """The repositories (of the environment's services) that do not hold `tag`."""
    missing = []
    for spec in SERVICES:
        repository = names.repository(spec.name)
        try:
            ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
        except (ecr.exceptions.ImageNotFoundException, ecr.exceptions.RepositoryNotFoundException):
            missing.append(repository)
    return missing


def require_pushed(ecr: Any, names: EnvironmentNames, tag: str) -> None:
    missing = missing_from(ecr, names, tag)
    if missing:
        raise DeployError(
            f"image tag {tag!r} is not in {', '.join(missing)}: push it first (the pipeline, or "
            "`make deploy` without IMAGE_TAG builds and pushes the checkout), or pick a tag "
            "listed by `aws ecr describe-images`"
        )
    say(f"image {tag} is in every repository")


def repository_uris(ecr: Any, names: EnvironmentNames) -> Mapping[str, str]:
    """Service name -> its repository's URI (`<registry>/<name>`)."""
    uris = {}
    for spec in SERVICES:
        [repo] = ecr.describe_repositories(repositoryNames=[names.repository(spec.name)])[
            "repositories"
        ]
        uris[spec.name] = repo["repositoryUri"]
    return uris


def docker_login(ecr: Any) -> None:
    """`docker login` with a 12-hour ECR token
    (https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html)."""
    [auth] = ecr.get_authorization_token()["authorizationData"]
    user, password = base64.b64decode(auth["authorizationToken"]).decode().split(":", 1)
    run(
        ["docker", "login", "--username", user, "--password-stdin", auth["proxyEndpoint"]],
        stdin=password,
        capture=True,
    )


def build_and_push(
    ecr: Any, names: EnvironmentNames, tag: str, checkout: Path = REPOSITORY
) -> None:
    """Build the checkout's images and push each one its repository lacks: repositories are
    immutable, so a tag already there is left alone (a second deploy pushes nothing)."""
    missing = set(missing_from(ecr, names, tag))
    if not missing:
        say(f"image {tag} already in every repository: nothing to build")
        return
    run(["make", "images", f"IMAGE_TAG={tag}"], cwd=checkout)
    docker_login(ecr)
    for service, uri in repository_uris(ecr, names).items():
        if names.repository(service) not in missing:
            continue
        run(["docker", "tag", LOCAL_IMAGE.format(service=service, tag=tag), f"{uri}:{tag}"])
        run(["docker", "push", f"{uri}:{tag}"])
        say(f"pushed {uri}:{tag}")
