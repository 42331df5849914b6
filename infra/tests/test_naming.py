"""Names other stacks and tools rely on (pipeline, `make release`): pinned here."""

from __future__ import annotations

from netflux_infra.config import ENVIRONMENTS
from netflux_infra.naming import EnvironmentNames, PipelineNames, artifact_name, short_name


def test_environment_names() -> None:
    names = EnvironmentNames("staging")

    assert names.prefix == names.stack == names.cluster == "netflux-staging"
    assert names.repository("movie-service") == "netflux-staging/movie-service"
    assert names.ecs_service("movie-service") == "movie-service"
    assert names.execution_role("movie-service") == "netflux-staging-movie-execution"
    assert names.task_role("customer-service") == "netflux-staging-customer-task"
    assert names.task_family("movie-service") == "netflux-staging-movie-service"
    assert names.log_group("movie-service") == "/ecs/netflux-staging/movie-service"
    assert names.target_group("customer-service") == "netflux-staging-customer"
    assert names.scaling_policy("movie-service", "cpu") == "netflux-staging-movie-cpu"
    assert names.database_secret("movie-service") == "netflux-staging/movie-service/database"
    assert names.final_snapshot == "netflux-staging-final"


def test_each_environment_names_itself() -> None:
    assert [env.names.prefix for env in ENVIRONMENTS.values()] == [
        "netflux-staging",
        "netflux-prod",
    ]


def test_pipeline_names() -> None:
    names = PipelineNames("netflux")

    assert names.stack == "netflux-pipeline"
    assert names.build_project == "netflux-build"
    assert (names.build_role, names.pipeline_role) == ("netflux-codebuild", "netflux-codepipeline")


def test_short_and_artifact_names() -> None:
    assert short_name("customer-service") == "customer"
    assert artifact_name("prod", "movie-service") == "prod_movie"
