"""`docker push` into the emulator's ECR: what `make release` does last, made offline.

The rehearsal runs the real `make release` with a `docker` on PATH that hands `push <uri>` to
`python -m netflux_infra_testing.fargate.registry push <uri>` and everything else to Docker. The
push stores a manifest naming the local image's id under the tag, so ECR knows the tag exists
(and refuses it a second time: the repositories' tags are IMMUTABLE).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from netflux_infra_testing.fargate.aws import Credentials, Emulator
from netflux_infra_testing.fargate.images import ECR_URI
from netflux_infra_testing.manifest import image_manifest

ENDPOINT_VARIABLE = "NETFLUX_REHEARSAL_ENDPOINT"
REGION_VARIABLE = "NETFLUX_REHEARSAL_REGION"
# The build project pushes in AWS; here the rehearsal's administrator stands in for it.
KEY_VARIABLE = "NETFLUX_REHEARSAL_ACCESS_KEY"
SECRET_VARIABLE = "NETFLUX_REHEARSAL_SECRET_KEY"


def docker_wrapper(folder: Path) -> Path:
    """A folder holding a `docker` that pushes to the emulator; put it first on PATH."""
    real = subprocess.run(
        ["sh", "-c", "command -v docker"], capture_output=True, text=True, check=True
    ).stdout.strip()
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "docker"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = push ]; then\n'
        f'    exec {sys.executable} -m netflux_infra_testing.fargate.registry push "$2"\n'
        "fi\n"
        f'exec {real} "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder


def push(uri: str) -> None:
    match = ECR_URI.match(uri)
    if match is None or not match["tag"]:
        raise SystemExit(f"push: {uri} is not <registry>/<repository>:<tag>")
    image_id = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", uri],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    credentials = Credentials(
        os.environ.get(KEY_VARIABLE, "rehearsal"), os.environ.get(SECRET_VARIABLE, "rehearsal")
    )
    aws = Emulator(os.environ[ENDPOINT_VARIABLE], os.environ[REGION_VARIABLE], credentials)
    aws.client("ecr").put_image(
        repositoryName=match["path"], imageManifest=image_manifest(image_id), imageTag=match["tag"]
    )
    print(f"pushed {uri} (emulator ECR)")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "push":
        raise SystemExit("usage: python -m netflux_infra_testing.fargate.registry push <uri>")
    push(sys.argv[2])
