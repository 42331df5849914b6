"""buildspec.yml: well-formed, uses only real make targets, and its shell logic works.

The phases run here the way CodeBuild runs them (one bash, phase after phase, a failing command
ends the build), with CodeBuild's variables set and fake `aws` and `docker` on PATH. `make test`
and `make images` are stubbed (this *is* make test); `make release` runs for real.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("install", "pre_build", "build", "post_build")
ACCOUNT = "123456789012"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
REGISTRY = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"


@pytest.fixture(scope="module")
def buildspec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((ROOT / "buildspec.yml").read_text())
    return spec


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-zA-Z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))


def commands(spec: dict[str, Any]) -> list[str]:
    return [c for phase in PHASES for c in spec["phases"][phase].get("commands", [])]


def test_phases_are_complete_and_abort_on_failure(buildspec: dict[str, Any]) -> None:
    assert str(buildspec["version"]) == "0.2"
    assert list(buildspec["phases"]) == list(PHASES)
    for phase in PHASES:
        assert buildspec["phases"][phase]["on-failure"] == "ABORT"
    assert not any("|| true" in c for c in commands(buildspec))


def test_every_make_call_uses_an_existing_target(buildspec: dict[str, Any]) -> None:
    calls = [shlex.split(c)[1] for c in commands(buildspec) if c.startswith("make ")]

    assert calls == ["test", "images", "release"]
    assert set(calls) <= make_targets()


def test_reports_and_artifacts(buildspec: dict[str, Any]) -> None:
    assert buildspec["reports"]["pytest"]["file-format"] == "JUNITXML"
    artifacts = buildspec["artifacts"]["secondary-artifacts"]
    assert set(artifacts) == {
        f"{e}_{s}" for e in ("staging", "prod") for s in ("movie", "customer")
    }
    for name, artifact in artifacts.items():
        env, short = name.split("_")
        assert artifact["base-directory"] == f"build/imagedefinitions/{env}/{short}-service"
        assert artifact["files"] == ["imagedefinitions.json"]


def _fake_tools(bin_dir: Path, log: Path) -> None:
    bin_dir.mkdir()
    real_make = subprocess.run(["bash", "-c", "command -v make"], capture_output=True, text=True)
    real_python = subprocess.run(
        ["bash", "-c", "command -v python3"], capture_output=True, text=True
    )
    tools = {
        "aws": 'echo "aws $*" >> "$LOG"; [ "$FAIL" != aws ] || exit 1; echo fake-ecr-password',
        "docker": 'echo "docker $*" >> "$LOG"; cat >/dev/null <&0 2>/dev/null || true',
        # The Makefile reads the service catalogue with python3: that call is real.
        "python3": (
            f'case "$*" in "-m netflux_catalogue"*) exec {real_python.stdout.strip()} "$@";; esac\n'
            'echo "python3 $*" >> "$LOG"'
        ),
        "make": (
            'echo "make $*" >> "$LOG"\n'
            'case "$1" in test|images) [ "$FAIL" != "make-$1" ] || exit 2; exit 0;; esac\n'
            f'exec {real_make.stdout.strip()} "$@"'
        ),
    }
    for name, body in tools.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/bash\n{body}\n")
        path.chmod(0o755)
    log.write_text("")


def run_buildspec(spec: dict[str, Any], tmp: Path, fail: str = "") -> tuple[int, list[str]]:
    """Run the phases like CodeBuild: same shell throughout, stop at the first failure."""
    bin_dir, log = tmp / "bin", tmp / "calls.log"
    _fake_tools(bin_dir, log)
    script = ["cd " + shlex.quote(str(ROOT))]
    for name, value in spec["env"]["variables"].items():
        script.append(f"export {name}={shlex.quote(str(value))}")
    for command in commands(spec):
        script.append(
            f"eval {shlex.quote(command)} || {{ echo 'FAILED: {command[:40]}'; exit 1; }}"
        )
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "LOG": str(log),
        "FAIL": fail,
        "CODEBUILD_BUILD_ARN": f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:build/netflux-build:1a2b",
        "CODEBUILD_RESOLVED_SOURCE_VERSION": COMMIT,
        "AWS_REGION": "eu-west-1",
    }
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)], env=env, capture_output=True, text=True
    )
    return result.returncode, log.read_text().splitlines()


@pytest.fixture
def clean_build_dir() -> Any:
    target = ROOT / "build" / "imagedefinitions"
    yield target
    subprocess.run(["rm", "-rf", str(target)], check=True)


def test_buildspec_pushes_commit_tagged_images_and_writes_imagedefinitions(
    buildspec: dict[str, Any], tmp_path: Path, clean_build_dir: Path
) -> None:
    code, calls = run_buildspec(buildspec, tmp_path)

    assert code == 0, calls
    tag = COMMIT[:12]  # the tag `make deploy` gives the same commit
    assert f"docker login --username AWS --password-stdin {REGISTRY}" in calls
    assert "aws ecr get-login-password --region eu-west-1" in calls
    assert any(c.startswith("make test") for c in calls)
    assert f"make images IMAGE_TAG={tag} PLATFORM=linux/amd64" in calls
    for env in ("staging", "prod"):
        for svc in ("movie-service", "customer-service"):
            uri = f"{REGISTRY}/netflux-{env}/{svc}:{tag}"
            assert f"docker tag netflux/{svc}:{tag} {uri}" in calls
            assert f"docker push {uri}" in calls
            written = json.loads(
                (clean_build_dir / env / svc / "imagedefinitions.json").read_text()
            )
            assert written == [{"name": svc, "imageUri": uri}]
    assert not any(":latest" in c for c in calls)


@pytest.mark.parametrize(
    ("failing", "never_reached"),
    [("aws", "make test"), ("make-test", "make images")],
)
def test_buildspec_stops_at_the_first_failing_command(
    buildspec: dict[str, Any],
    tmp_path: Path,
    clean_build_dir: Path,
    failing: str,
    never_reached: str,
) -> None:
    code, calls = run_buildspec(buildspec, tmp_path, fail=failing)

    assert code != 0
    assert not any(c.startswith(never_reached) for c in calls), calls
    assert not any(c.startswith("docker push") for c in calls)
    assert not clean_build_dir.exists()
