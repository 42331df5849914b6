"""The bench's settings' costs pair each setting's processes with the plain baseline's."""

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

Pairing = Callable[[int, int], tuple[int, int]]


@pytest.fixture
def pairing(monkeypatch: pytest.MonkeyPatch) -> Pairing:
    # bench/ is run from the repository's root (`python -m bench`), not installed.
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1]))
    from bench.harness import pairing

    return pairing


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
