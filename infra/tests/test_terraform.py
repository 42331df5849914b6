"""`terraform validate` and `terraform plan` of every stack, offline (fake credentials)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

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


def terraform(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": "/dev/null"}
    return subprocess.run(
        ["terraform", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def workdir(any_stack: Stack, tmp_path: Path) -> Path:
    if shutil.which("terraform") is None or not PLUGIN_DIR.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs terraform and the provider mirror at {PLUGIN_DIR}")
        pytest.skip(f"terraform or the offline provider mirror ({PLUGIN_DIR}) is missing")
    shutil.copytree(any_stack.folder, tmp_path, dirs_exist_ok=True)  # JSON and assets (web/)
    (tmp_path / "offline_override.tf.json").write_text(json.dumps(OFFLINE_PROVIDER))
    init = terraform(tmp_path, "init", "-input=false", "-no-color", f"-plugin-dir={PLUGIN_DIR}")
    assert init.returncode == 0, init.stdout + init.stderr
    return tmp_path


def test_validate_and_plan_offline(workdir: Path, any_stack: Stack) -> None:
    validate = terraform(workdir, "validate", "-no-color")
    assert validate.returncode == 0, validate.stdout + validate.stderr

    plan = terraform(workdir, "plan", "-input=false", "-lock=false", "-refresh=false", "-no-color")
    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr
    match = re.search(r"Plan: (\d+) to add, 0 to change, 0 to destroy", plan.stdout)
    assert match, plan.stdout[-2000:]
    resources = sum(len(v) for v in any_stack.json["resource"].values())
    assert int(match.group(1)) == resources
