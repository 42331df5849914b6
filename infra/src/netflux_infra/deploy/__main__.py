"""`python -m netflux_infra.deploy {deploy,destroy} ENV`: `make deploy` and `make destroy`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from netflux_infra.config import ENVIRONMENTS, EnvironmentConfig
from netflux_infra.deploy import DeployError, apply, guard, images, say, verify

# Any valid value: destroy plans from the state, the variable only has to be set.
TEARDOWN_TAG = "teardown"


def client(service: str, config: EnvironmentConfig) -> Any:
    import boto3  # boto3 reads AWS_ENDPOINT_URL itself (an emulator, in a rehearsal)

    return boto3.client(service, region_name=config.region)


def site_url(config: EnvironmentConfig, outputs: dict[str, str]) -> str:
    return f"https://{config.domain_name or outputs['cloudfront_domain']}"


def deploy(config: EnvironmentConfig, *, image_tag: str | None, force: bool) -> str:
    names = config.names
    ecr, ecs = client("ecr", config), client("ecs", config)
    release = images.choose_tag(image_tag)
    say(f"deploying {release.tag} to {names.stack}")
    if not release.build:
        images.require_pushed(ecr, names, release.tag)  # before anything changes
    guard.refuse_reverting(ecs, names, release.tag, force=force)

    folder = apply.synthesize(names.stack)
    apply.init(folder)
    if release.build:
        apply.apply_registry(folder, release.tag)
        images.build_and_push(ecr, names, release.tag)
    apply.apply(folder, release.tag)

    url = site_url(config, dict(apply.outputs(folder)))
    verify.verify(
        ecs=ecs,
        elbv2=client("elbv2", config),
        logs=client("logs", config),
        names=names,
        site_url=url,
    )
    return url


def destroy(config: EnvironmentConfig, *, confirm: str | None) -> None:
    names = config.names
    if config.retain_on_destroy and confirm != names.stack:
        raise DeployError(
            f"{names.stack} keeps its data on destroy (retain_on_destroy): "
            f"pass CONFIRM={names.stack} to tear it down"
        )
    folder = apply.synthesize(names.stack)
    apply.init(folder)
    apply.destroy(folder, TEARDOWN_TAG)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netflux_infra.deploy", description=__doc__)
    parser.add_argument("action", choices=["deploy", "destroy"])
    parser.add_argument("environment", choices=sorted(ENVIRONMENTS))
    parser.add_argument("--image-tag", help="deploy this pushed tag instead of building HEAD")
    parser.add_argument("--force", action="store_true", help="replace a release not in HEAD")
    parser.add_argument("--confirm", help="the stack's name, to destroy a retained environment")
    args = parser.parse_args(argv)
    config = ENVIRONMENTS[args.environment]
    try:
        if args.action == "deploy":
            url = deploy(config, image_tag=args.image_tag or None, force=args.force)
            say(f"{config.names.stack} is live: {url}")
        else:
            destroy(config, confirm=args.confirm)
    except (DeployError, ValueError) as error:
        print(f"[deploy] FAILED: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
