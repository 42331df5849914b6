"""`make rehearse ENV=staging`: deploy an environment to a local moto server and back.

1. start the pinned moto server (shims registered) on a free loopback port;
2. synthesize the stacks with the emulator's provider settings passed to `build_app` (the
   provider points at moto; the synthesized JSON is otherwise the production one);
3. `terraform init` (offline provider mirror) and `apply`;
   first the image repositories alone, then an image manifest is put into each (what `make
   deploy` pushes; checked by the deploy's own `require_pushed`), then everything with
   `image_tag` set; the services' tasks must then run that tag, beside their db-init container,
   with a generated password in each service secret, and be stable (the deploy's own waiter);
4. `terraform plan` must show no changes;
5. the web front end, published by the apply as the deployment does, is read back from the
   site bucket and compared with web/;
6. the outputs a user needs are present;
7. unless RUN=0: the environment runs (netflux_infra_testing.fargate): read back from the
   emulator, run with Docker as ECS would, smoke-tested, released, rolled back, stopped;
8. `terraform destroy` removes everything; the moto server is stopped.

`--break NAME` edits the synthesized stack first (fargate/breakages.py): the run must fail.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from netflux_catalogue import SERVICES
from netflux_devstack.ports import free_port
from netflux_infra.config import ENVIRONMENTS, EnvironmentConfig
from netflux_infra.deploy import apply as deploy_apply
from netflux_infra.deploy import guard, images, verify
from netflux_infra.image_tag import VARIABLE
from netflux_infra_testing.fargate.aws import Emulator
from netflux_infra_testing.fargate.breakages import BREAKAGES, apply_breakage
from netflux_infra_testing.fargate.images_build import prepare_images
from netflux_infra_testing.fargate.phases import run as run_environment
from netflux_infra_testing.manifest import image_manifest

INFRA = Path(__file__).resolve().parents[4]
WEB = INFRA.parent / "web"
PLUGIN_DIR = os.environ.get("NETFLUX_TF_PLUGIN_DIR", "/opt/tf-plugins")
IMAGE_TAG = "0123456789ab"  # a commit-shaped tag, as `make deploy` pushes
# A minimal image manifest: no layer is ever pulled (no task runs in RUN=0).
IMAGE_MANIFEST = image_manifest("sha256:" + "4" * 64, config_size=2)
REQUIRED_OUTPUTS = ("cloudfront_domain", "alb_dns_name", "ecr_movie_url", "ecr_customer_url")


class RehearsalFailed(SystemExit):
    pass


def say(message: str) -> None:
    print(f"[rehearse] {message}", flush=True)


@contextmanager
def moto_server(log: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "netflux_infra_testing.rehearsal.server", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "moto ready" not in line:
            raise RehearsalFailed(f"moto did not start: {line!r}")
        say(line.strip())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        say("moto stopped")


def terraform(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TF_IN_AUTOMATION": "1",
        "TF_CLI_CONFIG_FILE": "/dev/null",
        "CHECKPOINT_DISABLE": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
        f"TF_VAR_{VARIABLE}": IMAGE_TAG,
    }
    result = subprocess.run(
        ["terraform", *args, "-no-color"], cwd=folder, env=env, capture_output=True, text=True
    )
    if check and result.returncode != 0:
        raise RehearsalFailed(
            f"terraform {args[0]} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


def synthesize(endpoint: str, outdir: Path) -> None:
    env = {**os.environ}
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    synth = "netflux_infra_testing.rehearsal.synth"
    result = subprocess.run(
        [sys.executable, "-m", synth, "--endpoint", endpoint, "--outdir", str(outdir)],
        cwd=INFRA,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RehearsalFailed(f"synth failed:\n{result.stderr[-4000:]}")


def client(endpoint: str, service: str, region: str) -> Any:
    import boto3

    return boto3.client(
        service, endpoint_url=endpoint, region_name=region,
        aws_access_key_id="rehearsal", aws_secret_access_key="rehearsal",
    )  # fmt: skip


def lift_deletion_protection(endpoint: str, config: EnvironmentConfig) -> None:
    """What an operator does before tearing down prod: deletion protection exists to stop a
    plain `destroy`, so it is switched off first, by hand."""
    prefix, region = config.names.prefix, config.region
    databases = [prefix] + ([config.names.read_replica] if config.db_read_replica else [])
    for database in databases:
        client(endpoint, "rds", region).modify_db_instance(
            DBInstanceIdentifier=database, DeletionProtection=False, ApplyImmediately=True
        )
    elbv2 = client(endpoint, "elbv2", region)
    [alb] = elbv2.describe_load_balancers(Names=[prefix])["LoadBalancers"]
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}],
    )
    # Prod keeps its buckets on destroy (no force_destroy): the logs and old versions go first.
    s3 = client(endpoint, "s3", region)
    buckets = [
        b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"{prefix}-")
    ]
    for name in buckets:  # otherwise the destroy's own requests refill the log bucket
        s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={})
    for name in buckets:
        versions = s3.list_object_versions(Bucket=name)
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])
        ]
        if doomed:
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed})
    # Prod's repositories are not force-deleted either: ECR refuses to delete a repository that
    # still holds images (RepositoryNotEmptyException), so the pushed images go first.
    ecr = client(endpoint, "ecr", region)
    for spec in SERVICES:
        repository = config.names.repository(spec.name)
        image_ids = ecr.list_images(repositoryName=repository)["imageIds"]
        if image_ids:
            ecr.batch_delete_image(repositoryName=repository, imageIds=image_ids)
    say("teardown: deletion protection lifted (database, load balancer); buckets, images emptied")


def push_images(endpoint: str, folder: Path, config: EnvironmentConfig) -> None:
    """The deploy's first steps: the repositories alone, then the images in them."""
    targets = [f"-target={address}" for address in deploy_apply.registry_targets(folder)]
    terraform(folder, "apply", "-auto-approve", "-input=false", *targets)
    ecr = client(endpoint, "ecr", config.region)
    for spec in SERVICES:
        ecr.put_image(
            repositoryName=config.names.repository(spec.name),
            imageManifest=IMAGE_MANIFEST,
            imageTag=IMAGE_TAG,
        )
    images.require_pushed(ecr, config.names, IMAGE_TAG)


def check_services(endpoint: str, config: EnvironmentConfig) -> None:
    """What the apply left running: the pushed tag, db-init first, generated passwords, stable."""
    names, region = config.names, config.region
    ecs = client(endpoint, "ecs", region)
    running = guard.running_tags(ecs, names)
    if running != {spec.name: IMAGE_TAG for spec in SERVICES}:
        raise RehearsalFailed(f"services run {running}, expected {IMAGE_TAG}")
    secrets = client(endpoint, "secretsmanager", region)
    for spec in SERVICES:
        [service] = ecs.describe_services(cluster=names.cluster, services=[spec.name])["services"]
        task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
        containers = {c["name"]: c for c in task["taskDefinition"]["containerDefinitions"]}
        if containers[spec.name].get("dependsOn") != [
            {"containerName": "db-init", "condition": "SUCCESS"}
        ]:
            raise RehearsalFailed(f"{spec.name} does not wait for its db-init container")
        value = secrets.get_secret_value(SecretId=names.database_secret(spec.name))
        if len(json.loads(value["SecretString"])["password"]) < 32:
            raise RehearsalFailed(f"{spec.name}'s secret has no generated password")
    verify.wait_stable(ecs, names, delay=1, attempts=10)
    say(f"services run {IMAGE_TAG} after db-init, with generated passwords, stable")


def read_back_site(endpoint: str, bucket: str, region: str) -> None:
    s3 = client(endpoint, "s3", region)
    expected = {
        p.relative_to(WEB).as_posix(): p.read_bytes() for p in WEB.rglob("*") if p.is_file()
    }
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    if listed != set(expected):
        raise RehearsalFailed(f"site bucket holds {sorted(listed)}, expected {sorted(expected)}")
    for key, content in expected.items():
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        if body != content:
            raise RehearsalFailed(f"{key} in the site bucket differs from web/{key}")
    say(f"web front end read back from s3://{bucket}: {len(expected)} files identical to web/")


def rehearse(environment: str, run: bool = True, breakage: str | None = None) -> None:
    config = ENVIRONMENTS[environment]
    stack = config.names.prefix
    work = Path(tempfile.mkdtemp(prefix=f"netflux-rehearse-{environment}-"))
    try:
        reports = Path("reports")
        reports.mkdir(exist_ok=True)
        with moto_server(reports / f"moto-{environment}.log") as endpoint:
            started = time.monotonic()
            synthesize(endpoint, work / "out")
            folder = work / "out" / "stacks" / stack
            say(f"synthesized {stack} in {time.monotonic() - started:.0f} s")
            if breakage:
                apply_breakage(breakage, folder / "cdk.tf.json")
                say(f"deliberately broken before the apply: {breakage}")
            terraform(folder, "init", "-input=false", f"-plugin-dir={PLUGIN_DIR}")

            started = time.monotonic()
            push_images(endpoint, folder, config)
            terraform(folder, "apply", "-auto-approve", "-input=false")
            applied = time.monotonic() - started
            resources = terraform(folder, "state", "list").stdout.split()
            say(f"applied {len(resources)} resources in {applied:.0f} s")
            check_services(endpoint, config)

            started = time.monotonic()
            plan = terraform(folder, "plan", "-detailed-exitcode", "-input=false", check=False)
            planned = time.monotonic() - started
            if plan.returncode != 0:
                (reports / f"rehearsal-plan-{environment}.txt").write_text(
                    plan.stdout + plan.stderr
                )
                details = plan.stdout[-6000:] + plan.stderr[-2000:]
                raise RehearsalFailed(f"second plan not clean (exit {plan.returncode}):\n{details}")
            say(f"second plan: no changes ({planned:.1f} s)")

            outputs = json.loads(terraform(folder, "output", "-json").stdout)
            missing = [name for name in REQUIRED_OUTPUTS if not outputs.get(name, {}).get("value")]
            if missing:
                raise RehearsalFailed(f"outputs missing: {missing}")
            say("outputs: " + ", ".join(f"{n}={outputs[n]['value']}" for n in REQUIRED_OUTPUTS))
            read_back_site(endpoint, outputs["site_bucket"]["value"], config.region)
            phases: dict[str, float] = {}
            if run:
                prepare_images(IMAGE_TAG, say)
                emulator = Emulator(endpoint, config.region)
                phases = run_environment(emulator, environment, work / "out" / "stacks")

            if config.retention.teardown_lifts_protection:
                lift_deletion_protection(endpoint, config)
            started = time.monotonic()
            terraform(folder, "destroy", "-auto-approve", "-input=false")
            destroyed = time.monotonic() - started
            left = terraform(folder, "state", "list").stdout.split()
            if left:
                raise RehearsalFailed(f"destroy left {left}")
            say(f"destroyed everything in {destroyed:.0f} s")
            times = f"apply {applied:.0f} s, plan {planned:.1f} s, destroy {destroyed:.0f} s"
            say(f"{stack}: {len(resources)} resources; {times}")
            for phase, seconds in phases.items():
                say(f"  {phase}: {seconds:.0f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Rehearse a deploy against a local AWS emulator")
    parser.add_argument("environments", nargs="+", choices=sorted(ENVIRONMENTS))
    parser.add_argument(
        "--no-run", dest="run", action="store_false", help="resources only: no containers"
    )
    parser.add_argument("--break", dest="breakage", choices=sorted(BREAKAGES))
    args = parser.parse_args()
    for environment in args.environments:
        rehearse(environment, args.run, args.breakage)
    say("rehearsal passed")


if __name__ == "__main__":
    main()
