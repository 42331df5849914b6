"""Synthesize the stacks and run Terraform in the environment's stack folder.

Plain `terraform` instead of `cdktf deploy`: the same JSON (`python -m netflux_infra.main`, what
`cdktf synth` runs), but it needs no Node.js at deploy time, takes `-var` and `-target`, and
works offline against an emulator with a local provider mirror (NETFLUX_TF_PLUGIN_DIR). The
state is where `cdktf deploy` keeps it: the stack's backend (`terraform.<stack>.tfstate` in the
stack folder, or S3 when configured).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from netflux_infra.deploy import say
from netflux_infra.deploy.shell import REPOSITORY, run
from netflux_infra.image_tag import VARIABLE

INFRA = REPOSITORY / "infra"
OUTDIR = INFRA / "cdktf.out"


def synthesize(stack: str, outdir: Path = OUTDIR) -> Path:
    """Every stack into `outdir` (one process: the bindings load once); `stack`'s folder."""
    env = {
        **os.environ,
        "CDKTF_OUTDIR": str(outdir),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    run([sys.executable, "-m", "netflux_infra.main"], cwd=INFRA, env=env, capture=True)
    folder = outdir / "stacks" / stack
    say(f"synthesized {stack} into {folder}")
    return folder


def terraform_env(image_tag: str | None) -> dict[str, str]:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    if image_tag is not None:
        env[f"TF_VAR_{VARIABLE}"] = image_tag
    return env


def terraform(folder: Path, image_tag: str | None, *args: str, capture: bool = False) -> str:
    return run(["terraform", *args], cwd=folder, env=terraform_env(image_tag), capture=capture)


def init(folder: Path) -> None:
    plugin_dir = os.environ.get("NETFLUX_TF_PLUGIN_DIR")
    extra = [f"-plugin-dir={plugin_dir}"] if plugin_dir else []
    run(["terraform", "init", "-input=false", *extra], cwd=folder, capture=True)


def registry_targets(folder: Path) -> list[str]:
    """The ECR repositories' addresses: created before anything else, so the images can be
    pushed before any service needs them."""
    stack = json.loads((folder / "cdk.tf.json").read_text())
    return [f"aws_ecr_repository.{key}" for key in stack["resource"]["aws_ecr_repository"]]


def apply_registry(folder: Path, image_tag: str) -> None:
    targets = [f"-target={address}" for address in registry_targets(folder)]
    terraform(folder, image_tag, "apply", "-auto-approve", "-input=false", *targets)
    say("image repositories are in place")


def apply(folder: Path, image_tag: str) -> None:
    terraform(folder, image_tag, "apply", "-auto-approve", "-input=false")
    say(f"applied: every service runs {image_tag}")


def destroy(folder: Path, image_tag: str) -> None:
    terraform(folder, image_tag, "destroy", "-auto-approve", "-input=false")
    say("destroyed")


def outputs(folder: Path) -> Mapping[str, str]:
    raw = json.loads(terraform(folder, None, "output", "-json", capture=True))
    return {name: str(value["value"]) for name, value in raw.items()}
