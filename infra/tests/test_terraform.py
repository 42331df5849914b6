"""`terraform validate` and `terraform plan` of every stack, offline (fake credentials).

The one data source that calls AWS at plan time, Secrets Manager's GetRandomPassword (the
services' database passwords), is answered by an in-process moto server.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from netflux_devstack.ports import free_port
from netflux_infra.image_tag import VARIABLE
from netflux_infra_testing.synthesized import Stack

PLUGIN_DIR = Path(os.environ.get("NETFLUX_TF_PLUGIN_DIR", "/opt/tf-plugins"))

# Fake credentials and no calls to AWS's identity APIs: the plan is computed from config alone.
OFFLINE_PROVIDER = {
    "provider": {
        "aws": [
            {
                "access_key": "offline",
                "secret_key": "offline",
                "skip_credentials_validation": True,
                "skip_requesting_account_id": True,
                "skip_metadata_api_check": True,
                "skip_region_validation": True,
            }
        ]
    }
}


IMAGE_TAG = "0123456789ab"


@pytest.fixture(scope="module")
def secrets_manager() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def terraform(
    folder: Path, *args: str, image_tag: str | None = IMAGE_TAG
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": "/dev/null"}
    env.pop(f"TF_VAR_{VARIABLE}", None)
    if image_tag is not None:
        env[f"TF_VAR_{VARIABLE}"] = image_tag  # ignored by the pipeline stack, which has none
    return subprocess.run(
        ["terraform", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )


def offline_copy(stack: Stack, folder: Path, secrets_endpoint: str) -> Path:
    if shutil.which("terraform") is None or not PLUGIN_DIR.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs terraform and the provider mirror at {PLUGIN_DIR}")
        pytest.skip(f"terraform or the offline provider mirror ({PLUGIN_DIR}) is missing")
    shutil.copytree(stack.folder, folder, dirs_exist_ok=True)  # JSON and assets (web/)
    override = json.loads(json.dumps(OFFLINE_PROVIDER))
    override["provider"]["aws"][0]["endpoints"] = [{"secretsmanager": secrets_endpoint}]
    (folder / "offline_override.tf.json").write_text(json.dumps(override))
    init = terraform(folder, "init", "-input=false", "-no-color", f"-plugin-dir={PLUGIN_DIR}")
    assert init.returncode == 0, init.stdout + init.stderr
    return folder


@pytest.fixture
def workdir(any_stack: Stack, tmp_path: Path, secrets_manager: str) -> Path:
    return offline_copy(any_stack, tmp_path, secrets_manager)


def test_validate_and_plan_offline(workdir: Path, any_stack: Stack) -> None:
    validate = terraform(workdir, "validate", "-no-color")
    assert validate.returncode == 0, validate.stdout + validate.stderr

    plan = terraform(workdir, "plan", "-input=false", "-lock=false", "-refresh=false", "-no-color")
    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr
    match = re.search(r"Plan: (\d+) to add, 0 to change, 0 to destroy", plan.stdout)
    assert match, plan.stdout[-2000:]
    resources = sum(len(v) for v in any_stack.json["resource"].values())
    assert int(match.group(1)) == resources


@pytest.mark.parametrize(
    ("image_tag", "error"),
    [
        (None, "No value for required variable"),
        ("latest", "image_tag must name a pushed image"),
        ("-x", "image_tag must name a pushed image"),
    ],
)
def test_a_plan_needs_a_real_image_tag(
    stacks: dict[str, Stack],
    tmp_path: Path,
    secrets_manager: str,
    image_tag: str | None,
    error: str,
) -> None:
    folder = offline_copy(stacks["staging"], tmp_path, secrets_manager)

    plan = terraform(
        folder, "plan", "-input=false", "-lock=false", "-refresh=false", "-no-color",
        image_tag=image_tag,
    )  # fmt: skip

    assert plan.returncode != 0
    assert error in " ".join((plan.stdout + plan.stderr).split())
