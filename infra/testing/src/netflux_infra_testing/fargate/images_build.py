"""The images the first deployment names, built for the rehearsal.

The environment's task definitions name `<repository>:<image_tag>`; in AWS that tag is in ECR
because `make release` pushed it. Here `make images` has built `netflux/<service>:local` (CI
builds that tag); the rehearsal gives that build the deployed tag, as `make images
IMAGE_TAG=<tag>` would, rather than build the same Dockerfile again. Only this one tag is made:
a task definition naming any other tag finds no image, as it would find none in ECR.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

from netflux_catalogue import SERVICES
from netflux_infra_testing.fargate.errors import RunFailed

SOURCE_TAG_VARIABLE = "NETFLUX_REHEARSAL_SOURCE_TAG"


def prepare_images(tag: str, say: Callable[[str], None]) -> None:
    source_tag = os.environ.get(SOURCE_TAG_VARIABLE, "local")
    for service in SERVICES:
        wanted, source = f"netflux/{service.name}:{tag}", f"netflux/{service.name}:{source_tag}"
        if _exists(wanted):
            continue
        if not _exists(source):
            raise RunFailed(f"{source} is not built: run `make images` first")
        subprocess.run(["docker", "tag", source, wanted], check=True)
        say(f"image {wanted} <- {source}")


def _exists(image: str) -> bool:
    return (
        subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0
    )
