"""Which local image stands for a task definition's image URI.

A service repository `<account>.dkr.ecr.<region>.amazonaws.com/netflux-<env>/<service>:<tag>` is
what `make release` pushed from `netflux/<service>:<tag>`: the same tag must have been built here,
or the image would not be in ECR either. A pull-through cache path
`<registry>/<cache prefix>/<upstream path>` stands for the upstream image, which CI replaces with
its stand-ins (POSTGRES_IMAGE and friends, see .ci/run).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping

from netflux_infra_testing.fargate.errors import TaskFailedToStart

ECR_URI = re.compile(
    r"^(?P<registry>\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com)/(?P<path>[^:@]+)(?::(?P<tag>.+))?$"
)
# Upstream image (path under its registry) -> the environment variable naming its local stand-in,
# and the official name used when the variable is not set.
STAND_INS = {
    "docker/library/postgres": ("POSTGRES_IMAGE", "netflux-ci/postgres:standin"),
}


def local_image(uri: str, env_prefix: str, pull_through: Mapping[str, str]) -> str:
    match = ECR_URI.match(uri)
    if match is None:
        raise TaskFailedToStart(f"CannotPullContainerError: {uri} is not an ECR image URI")
    path, tag = match["path"], match["tag"] or "latest"
    for cache_prefix in pull_through:
        if path.startswith(cache_prefix + "/"):
            upstream = path.removeprefix(cache_prefix + "/")
            if upstream not in STAND_INS:
                raise TaskFailedToStart(
                    f"CannotPullContainerError: no local stand-in for {upstream}:{tag} ({uri})"
                )
            variable, default = STAND_INS[upstream]
            return _present(os.environ.get(variable, default), uri)
    owner, _, service = path.partition("/")
    if owner != env_prefix or not service:
        raise TaskFailedToStart(
            f"CannotPullContainerError: {uri} is in no repository of {env_prefix}"
        )
    return _present(f"netflux/{service}:{tag}", uri)


def _present(image: str, uri: str) -> str:
    found = subprocess.run(
        ["docker", "image", "inspect", image], capture_output=True, text=True
    ).returncode
    if found != 0:
        raise TaskFailedToStart(
            f"CannotPullContainerError: {uri}: not found (the local image {image} was never "
            "built, so `make release` never pushed it)"
        )
    return image
