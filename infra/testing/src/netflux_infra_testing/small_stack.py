"""One construct synthesized alone, for settings the environments' configs do not exercise
(e-mail subscriptions, blocked addresses): a small stack synthesizes in about a second once the
AWS bindings are loaded."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

from cdktf import App, TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider

from netflux_infra.config import EnvironmentConfig
from netflux_infra.edge_waf import EdgeWaf
from netflux_infra.monitoring import Monitoring


def synth_alone(build: Callable[[TerraformStack], object]) -> dict[str, Any]:
    outdir = tempfile.mkdtemp(prefix="netflux-small-")
    try:
        stack = TerraformStack(App(outdir=outdir), "small")
        AwsProvider(stack, "aws", region="us-east-1")
        build(stack)
        synthesized: dict[str, Any] = json.loads(Testing.synth(stack))
        return synthesized
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


def synth_monitoring(config: EnvironmentConfig) -> dict[str, Any]:
    return synth_alone(
        lambda stack: Monitoring(
            stack,
            "monitoring",
            config,
            account_id="111122223333",
            load_balancer_arn_suffix="app/alb/1",
            target_group_arn_suffixes={"movie-service": "targetgroup/movie/1"},
            cluster_name="cluster",
            service_names={"movie-service": "movie-service"},
            db_identifier="db",
        )
    )


def synth_waf(config: EnvironmentConfig) -> dict[str, Any]:
    return synth_alone(
        lambda stack: EdgeWaf(
            stack,
            config.names,
            blocked_cidrs=config.blocked_cidrs,
            rate_limit=config.waf_rate_limit,
            provider=None,
        )
    )
