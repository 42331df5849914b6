"""The steps of `make deploy`/`make destroy` against moto (in-process) with real git in a
throw-away repository and fake docker/make on PATH: no synthesis, no Terraform."""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest
from moto import mock_aws

from netflux_catalogue import SERVICES
from netflux_infra.config import ENVIRONMENTS
from netflux_infra.deploy import DeployError, __main__, apply, guard, images, verify
from netflux_infra.image_tag import InvalidImageTag
from netflux_infra.naming import EnvironmentNames
from netflux_infra_testing.manifest import image_manifest

NAMES = EnvironmentNames("staging")
REGION = "us-east-1"
MANIFEST = image_manifest("sha256:" + "0" * 64, config_size=1)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def git(checkout: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(checkout), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A repository with two commits; HEAD is the second."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    for number in (1, 2):
        (repo / "file").write_text(str(number))
        git(repo, "add", "file")
        git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", str(number))
    return repo


def repositories(*, holding: str | None = None, only: str | None = None) -> None:
    ecr = client("ecr")
    for spec in SERVICES:
        name = NAMES.repository(spec.name)
        ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE")
        if holding and only in (None, spec.name):
            ecr.put_image(repositoryName=name, imageManifest=MANIFEST, imageTag=holding)


def running(tag: str) -> None:
    """Both services exist and run `tag`, beside an init container."""
    ecs = client("ecs")
    ecs.create_cluster(clusterName=NAMES.cluster)
    for spec in SERVICES:
        image = f"123.dkr.ecr.{REGION}.amazonaws.com/{NAMES.repository(spec.name)}:{tag}"
        family = NAMES.task_family(spec.name)
        ecs.register_task_definition(
            family=family,
            cpu="256",
            memory="512",
            containerDefinitions=[
                {"name": "db-init", "image": "mirror/postgres:16-alpine", "essential": False},
                {"name": spec.name, "image": image, "essential": True},
            ],
        )
        ecs.create_service(
            cluster=NAMES.cluster, serviceName=spec.name, taskDefinition=family, desiredCount=1
        )


# --- which tag -----------------------------------------------------------------------------------


def test_the_tag_is_the_clean_checkouts_commit(checkout: Path) -> None:
    release = images.choose_tag(None, checkout)

    assert release == images.Release(git(checkout, "rev-parse", "--short=12", "HEAD"), build=True)
    assert len(release.tag) == 12


def test_a_dirty_checkout_is_refused_unless_a_tag_is_given(checkout: Path) -> None:
    (checkout / "file").write_text("changed")

    with pytest.raises(DeployError, match="uncommitted changes"):
        images.choose_tag(None, checkout)
    assert images.choose_tag("0123456789ab", checkout) == images.Release("0123456789ab", False)


@pytest.mark.parametrize("tag", ["latest", "-rf", "a" * 129, "a/b", "tag with space"])
def test_a_tag_terraform_would_refuse_is_refused_first(tag: str) -> None:
    with pytest.raises(InvalidImageTag):
        images.choose_tag(tag)


# --- IMAGE_TAG must be pushed -----------------------------------------------------------------


def test_a_given_tag_missing_from_a_repository_fails_naming_it(aws: None) -> None:
    repositories(holding="0123456789ab", only="movie-service")

    with pytest.raises(DeployError) as failure:
        images.require_pushed(client("ecr"), NAMES, "0123456789ab")

    assert "netflux-staging/customer-service" in str(failure.value)
    assert "netflux-staging/movie-service" not in str(failure.value)


def test_a_given_tag_fails_when_the_repositories_do_not_exist_yet(aws: None) -> None:
    with pytest.raises(DeployError, match="is not in netflux-staging/movie-service"):
        images.require_pushed(client("ecr"), NAMES, "0123456789ab")


def test_a_given_tag_present_everywhere_passes(aws: None) -> None:
    repositories(holding="0123456789ab")

    images.require_pushed(client("ecr"), NAMES, "0123456789ab")


@pytest.fixture
def fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """docker and make that only record their arguments (one line per call)."""
    calls = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("docker", "make"):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> {calls}\n')
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return calls


def test_build_pushes_only_what_a_repository_lacks(aws: None, fake_tools: Path) -> None:
    repositories(holding="0123456789ab", only="movie-service")

    images.build_and_push(client("ecr"), NAMES, "0123456789ab")

    calls = fake_tools.read_text().splitlines()
    assert calls[0] == "make images IMAGE_TAG=0123456789ab"
    assert calls[1].startswith("docker login --username AWS --password-stdin https://")
    pushes = [c for c in calls if c.startswith("docker push")]
    assert len(pushes) == 1
    assert pushes[0].endswith("/netflux-staging/customer-service:0123456789ab")
    assert not any(":latest" in c for c in calls)


def test_a_second_deploy_builds_nothing(aws: None, fake_tools: Path) -> None:
    repositories(holding="0123456789ab")

    images.build_and_push(client("ecr"), NAMES, "0123456789ab")

    assert not fake_tools.exists()


# --- the guard -----------------------------------------------------------------------------------


def test_a_running_release_the_checkout_lacks_is_not_reverted(aws: None, checkout: Path) -> None:
    running("fedcba987654")  # shipped by the pipeline, not in this checkout

    with pytest.raises(DeployError, match=r"would revert that release.*FORCE=1"):
        guard.refuse_reverting(client("ecs"), NAMES, "0123456789ab", checkout=checkout)
    guard.refuse_reverting(client("ecs"), NAMES, "0123456789ab", checkout=checkout, force=True)


def test_a_running_release_the_checkout_contains_is_replaced(aws: None, checkout: Path) -> None:
    running(git(checkout, "rev-parse", "--short=7", "HEAD~1"))  # the pipeline's 7-digit tags
    head = git(checkout, "rev-parse", "--short=12", "HEAD")

    assert guard.running_tags(client("ecs"), NAMES) == {
        spec.name: git(checkout, "rev-parse", "--short=7", "HEAD~1") for spec in SERVICES
    }
    guard.refuse_reverting(client("ecs"), NAMES, head, checkout=checkout)


def test_a_first_deploy_has_nothing_to_guard(aws: None, checkout: Path) -> None:
    assert guard.running_tags(client("ecs"), NAMES) == {}
    guard.refuse_reverting(client("ecs"), NAMES, "0123456789ab", checkout=checkout)


def test_image_tag_of_a_reference() -> None:
    assert guard.image_tag("1.dkr.ecr.us-east-1.amazonaws.com/n/movie-service:abc") == "abc"
    assert guard.image_tag("localhost:5000/n/movie-service") is None
    assert guard.image_tag("r/n/movie-service@sha256:" + "0" * 64) is None


# --- verify: smoke test through the site, logs on failure -----------------------------------------


class Site(http.server.BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, str, bytes]]] = {}

    def do_GET(self) -> None:
        status, content_type, body = self.answers.get(self.path, (404, "text/plain", b"no"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Site.answers = {
        "/api/movies": (200, "application/json", b'[{"id":1,"title":"Inception"}]'),
        "/api/customers/1": (200, "application/json", b'{"id":1,"recommendedMovies":[]}'),
        "/": (200, "text/html; charset=utf-8", b"<!doctype html><title>Netflux</title>"),
    }
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def service_logs(service: str, lines: list[str]) -> None:
    logs = client("logs")
    group = NAMES.log_group(service)
    logs.create_log_group(logGroupName=group)
    now = int(time.time() * 1000)
    logs.create_log_stream(logGroupName=group, logStreamName="old")
    logs.put_log_events(
        logGroupName=group, logStreamName="old",
        logEvents=[{"timestamp": now - 60_000, "message": "from an older task"}],
    )  # fmt: skip
    logs.create_log_stream(logGroupName=group, logStreamName="new")
    logs.put_log_events(
        logGroupName=group,
        logStreamName="new",
        logEvents=[{"timestamp": now + i, "message": line} for i, line in enumerate(lines)],
    )


def test_a_healthy_site_passes_the_smoke_test(aws: None, site: str) -> None:
    verify.verify_site(client("logs"), NAMES, site, timeout=0)


def test_a_failing_smoke_test_prints_that_services_newest_log_lines(
    aws: None, site: str, capsys: pytest.CaptureFixture[str]
) -> None:
    Site.answers["/api/customers/1"] = (503, "application/problem+json", b'{"status":503}')
    service_logs("customer-service", [f"line {i}" for i in range(80)])
    service_logs("movie-service", ["movie is fine"])

    with pytest.raises(DeployError, match=r"smoke test failed:\nGET .*/api/customers/1: 503"):
        verify.verify_site(client("logs"), NAMES, site, timeout=0)

    printed = capsys.readouterr().out
    assert "customer-service: last 50 lines of /ecs/netflux-staging/customer-service" in printed
    assert "line 30" in printed
    assert "line 79" in printed
    assert "line 29\n" not in printed  # 50 lines: 30..79
    assert "from an older task" not in printed
    assert "movie is fine" not in printed


def test_the_page_and_the_json_shapes_are_checked(aws: None, site: str) -> None:
    Site.answers["/"] = (200, "application/json", b"{}")
    Site.answers["/api/movies"] = (200, "application/json", b"[]")

    with pytest.raises(DeployError) as failure:
        verify.verify_site(client("logs"), NAMES, site, timeout=0)

    assert "expected the HTML page" in str(failure.value)
    assert "/api/movies: expected a non-empty JSON list" in str(failure.value)


def test_smoke_retries_until_the_site_answers(site: str) -> None:
    Site.answers["/api/movies"] = (502, "text/html", b"not yet")

    def propagate() -> None:
        time.sleep(0.3)
        Site.answers["/api/movies"] = (200, "application/json", b"[{}]")

    threading.Thread(target=propagate).start()
    assert verify.smoke(site, timeout=5, interval=0.1) == []


# --- destroy ----------------------------------------------------------------------------------


@pytest.fixture
def no_terraform(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the apply steps instead of synthesizing and running Terraform."""
    steps: list[str] = []

    def synthesize(stack: str) -> Path:
        steps.append(stack)
        return Path()

    monkeypatch.setattr(apply, "synthesize", synthesize)
    monkeypatch.setattr(apply, "init", lambda folder: None)
    monkeypatch.setattr(apply, "destroy", lambda folder, tag: steps.append(f"destroy {tag}"))
    return steps


def test_prod_is_not_destroyed_without_its_name(
    no_terraform: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert ENVIRONMENTS["prod"].retain_on_destroy
    assert __main__.main(["destroy", "prod"]) == 1
    assert __main__.main(["destroy", "prod", "--confirm", "netflux-staging"]) == 1

    assert no_terraform == []
    assert "pass CONFIRM=netflux-prod" in capsys.readouterr().err
    assert __main__.main(["destroy", "prod", "--confirm", "netflux-prod"]) == 0
    assert no_terraform == ["netflux-prod", "destroy teardown"]


def test_staging_is_destroyed_without_ceremony(no_terraform: list[str]) -> None:
    assert __main__.main(["destroy", "staging"]) == 0
    assert no_terraform == ["netflux-staging", "destroy teardown"]
