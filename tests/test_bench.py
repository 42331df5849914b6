"""The bench's settings' costs: each setting's processes paired with the plain baseline's, the
tracing settings running the sampling the AWS tasks run, at the share they name; and tracing's
work a request inside one process, read from the processes' switch records."""

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


def test_idle_runs_tracing_as_at_a_tenth(harness: ModuleType) -> None:
    # Its processes are switched off once up (start_variants): only what tracing costs a
    # process besides its requests is left, under the tasks' sampler.
    endpoint = "http://127.0.0.1:9"
    assert harness.variant_env("idle", endpoint) == harness.variant_env("sampled", endpoint)


@pytest.mark.parametrize("name", ["nolog", "again"])
def test_the_other_settings_leave_tracing_off(harness: ModuleType, name: str) -> None:
    assert not any(k.startswith("OTEL_") for k in harness.variant_env(name, "http://x"))


def record(*rows: tuple[str, float, float, int]) -> str:
    """A process's switch records: state begun, CPU seconds so far (all threads, main thread),
    requests answered so far."""
    return "".join(
        f"{state} {round(cpu * 1e9)} {round(main * 1e9)} {answered}\n"
        for state, cpu, main, answered in rows
    )


def test_a_phase_runs_from_its_mark_to_the_next_switch_with_both_processes_cpu(
    harness: ModuleType,
) -> None:
    states = ["off", "off", "on", "on", "off", "on"]  # the last: the switch back on after
    entry = record(
        *zip(
            states,
            [1.0, 1.2, 1.8, 2.0, 2.6, 2.7],
            [1.0, 1.2, 1.7, 1.9, 2.4, 2.5],
            [100, 150, 300, 340, 500, 510],
            strict=True,
        )
    )
    called = record(
        *zip(
            states[:5],
            [5.0, 5.1, 5.4, 5.5, 5.8],
            [4.0, 4.1, 4.4, 4.5, 4.7],
            [0, 9, 30, 33, 60],
            strict=True,
        )
    )
    phases = harness.phases_of([entry, called], 2)
    assert [p.on for p in phases] == [False, True]
    # From the mark to the next switch: main threads 0.5 + 0.3 s, then 0.5 + 0.2 s; the other
    # threads 0.1 + 0 s, then 0.1 + 0.1 s; the entry's 150, then 160 requests.
    assert [p.main_cpu for p in phases] == pytest.approx([0.8, 0.7])
    assert [p.other_cpu for p in phases] == pytest.approx([0.1, 0.2])
    assert [p.answered for p in phases] == [150, 160]


@pytest.mark.parametrize(
    "rows",
    [
        [("off", 1.0, 1.0, 0), ("off", 1.1, 1.1, 5)],  # a switch short
        # A process left on: its "off" phase would be an "on" one.
        [("on", 1.0, 1.0, 0), ("on", 1.1, 1.1, 5), ("on", 1.2, 1.2, 9)],
        [("off", 1.0, 1.0, 0), ("off", 1.1, 1.1, 5), ("on", 1.2, 1.2, 5)],  # nothing served
    ],
)
def test_records_that_are_not_the_signals_sent_are_refused(
    harness: ModuleType, rows: list[tuple[str, float, float, int]]
) -> None:
    with pytest.raises(ValueError, match=r"records|served"):
        harness.phases_of([record(*rows)], 1)


def test_a_triplet_reads_on_over_off_whichever_state_is_in_the_middle(
    harness: ModuleType,
) -> None:
    phase = harness.Phase
    on_middle = [phase(False, 10, 0, 10), phase(True, 13, 0, 10), phase(False, 12, 0, 10)]
    off_middle = [phase(True, 12, 0, 10), phase(False, 10, 0, 10), phase(True, 10, 0, 10)]
    assert harness.triplet_ratio(on_middle, 0.0) == pytest.approx(1.3 / 1.1)
    assert harness.triplet_ratio(off_middle, 0.0) == pytest.approx(1.1 / 1.0)
    # The export's CPU a traced request is added to each "on" phase's.
    assert harness.triplet_ratio(on_middle, 0.2) == pytest.approx(1.5 / 1.1)


def test_the_export_threads_cpu_is_the_on_phases_whenever_it_ran(harness: ModuleType) -> None:
    phase = harness.Phase
    # 3 s of export, run in an off phase, for the 20 requests the on phases served.
    run = [phase(False, 10, 0, 10), phase(True, 10, 0, 10), phase(False, 10, 3, 10)]
    run += [phase(True, 10, 0, 10)]
    assert harness.export_per_request(run) == pytest.approx(0.15)
