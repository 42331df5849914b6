"""checkov finds nothing in any stack; every skipped check has its reason in infra/checkov*."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from netflux_infra_testing.synthesized import Stack

INFRA = Path(__file__).resolve().parents[1]


def skipped(stack_name: str) -> list[str]:
    config = yaml.safe_load((INFRA / "checkov.yaml").read_text())
    checks = list(config["skip-check"])
    if stack_name.endswith("staging"):
        extra = (INFRA / "checkov-staging.txt").read_text().splitlines()
        checks += [m.group(1) for line in extra if (m := re.match(r"(CKV\S+)\s+\S", line))]
    return checks


def test_every_skip_has_a_reason() -> None:
    lines = (INFRA / "checkov.yaml").read_text().splitlines()
    listed = [line for line in lines if re.match(r"\s+- CKV", line)]
    for i, line in enumerate(lines):
        if re.match(r"\s+- CKV", line):
            reason = "#" in line or lines[i - 1].strip().startswith("#")
            assert reason, f"checkov.yaml: {line.strip()} has no reason"
    assert listed


def test_checkov_passes(any_stack: Stack) -> None:
    checkov = shutil.which("checkov") or str(Path(sys.executable).parent / "checkov")
    result = subprocess.run(
        [
            checkov, "--config-file", str(INFRA / "checkov.yaml"), "-d", str(any_stack.folder),
            "--skip-check", ",".join(skipped(any_stack.name)),
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip

    summary = re.search(r"Passed checks: (\d+), Failed checks: (\d+)", result.stdout)
    assert summary, result.stdout[-3000:] + result.stderr[-3000:]
    assert int(summary.group(2)) == 0, result.stdout[-6000:]
    # The access stack holds IAM groups and policies only: fewer checks apply to it.
    assert int(summary.group(1)) > (10 if any_stack.name.endswith("access") else 20)
