"""The bench's settings' costs: each setting's processes paired with the plain baseline's, and
the tracing settings running the sampling the AWS tasks run, at the share they name."""

import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest

from netflux_common.tracing import Tracing

Pairing = Callable[[int, int], tuple[int, int]]
ROOTS = 2000  # requests entering with no `traceparent`, as wrk's do


@pytest.fixture
def harness() -> ModuleType:
    from bench import harness  # on the path from the repository's root (pyproject's pytest)

    return harness


@pytest.fixture
def pairing(harness: ModuleType) -> Pairing:
    return harness.pairing  # type: ignore[no-any-return]


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_two_k_squared_pairs_measure_every_pairing_both_ways_round(
    pairing: Pairing, k: int
) -> None:
    pairs = [pairing(n, k) for n in range(2 * k * k)]
    assert set(pairs) == {(i, j) for i in range(k) for j in range(k)}
    # Pairs 2m and 2m+1 are one pairing; measure_costs runs the baseline first in even pairs.
    assert all(pairs[n] == pairs[n + 1] for n in range(0, len(pairs), 2))
    assert set(Counter(pairs).values()) == {2}


def test_each_baseline_instance_runs_first_as_often_as_second(pairing: Pairing) -> None:
    k = 2
    first = Counter(pairing(n, k)[0] for n in range(2 * k * k) if n % 2 == 0)
    second = Counter(pairing(n, k)[0] for n in range(2 * k * k) if n % 2 == 1)
    assert first == second == {0: 2, 1: 2}


@pytest.fixture
def started() -> Iterator[list[Tracing]]:
    running: list[Tracing] = []
    yield running
    for tracing in running:
        tracing.shutdown()


def recorded_share(
    harness: ModuleType, name: str, monkeypatch: pytest.MonkeyPatch, started: list[Tracing]
) -> float:
    env = harness.variant_env(name, "http://127.0.0.1:9")  # nothing is exported: no span ends
    for key in os.environ:  # what the services see: service_env drops the caller's OTEL_*
        if key.startswith("OTEL_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    tracing = Tracing.start("bench-settings", env["OTEL_EXPORTER_OTLP_ENDPOINT"])
    assert tracing is not None
    started.append(tracing)
    # The fast path the services take under the tasks' sampler, not the SDK's fallback.
    assert tracing.head_sampling is not None
    state = random.getstate()
    random.seed(7)  # the trace ids, and so the ratio sampler's decisions
    try:
        recorded = 0
        for _ in range(ROOTS):
            decided = tracing.head_sampling.server([], "GET", {})
            assert decided is not None
            recorded += decided[0].is_recording()
    finally:
        random.setstate(state)
    return recorded / ROOTS


@pytest.mark.parametrize(("name", "share"), [("traced", 1), ("unsampled", 0)])
def test_every_or_no_request_is_recorded(
    harness: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    started: list[Tracing],
    name: str,
    share: float,
) -> None:
    assert recorded_share(harness, name, monkeypatch, started) == share


def test_sampled_records_a_tenth(
    harness: ModuleType, monkeypatch: pytest.MonkeyPatch, started: list[Tracing]
) -> None:
    # The tasks' sampler (netflux_infra.tracing.SAMPLER) at their default `trace_sample_ratio`;
    # not imported from there: the infra package takes a minute and a half to import (jsii).
    assert 0.08 <= recorded_share(harness, "sampled", monkeypatch, started) <= 0.12


@pytest.mark.parametrize("name", ["nolog", "again"])
def test_the_other_settings_leave_tracing_off(harness: ModuleType, name: str) -> None:
    assert not any(k.startswith("OTEL_") for k in harness.variant_env(name, "http://x"))
