"""plan_batches: the embedder's batch cut points (pure arithmetic, no model)."""

from __future__ import annotations

import itertools
import random

import pytest

from models.embeddings import plan_batches


def _cost(lengths: list[int], batches: list[tuple[int, int]], call_cost: float) -> float:
    return sum(call_cost + (end - start) * lengths[end - 1] for start, end in batches)


def _all_partitions(n: int):
    for cuts in itertools.product([False, True], repeat=n - 1):
        bounds = [0] + [i + 1 for i, c in enumerate(cuts) if c] + [n]
        yield list(itertools.pairwise(bounds))


@pytest.mark.parametrize("seed", range(20))
def test_the_plan_is_the_cheapest_partition(seed):
    rng = random.Random(seed)
    lengths = sorted(rng.randint(3, 60) for _ in range(rng.randint(1, 9)))
    call_cost = rng.choice([0.0, 5.0, 25.0])
    plan = plan_batches(lengths, call_cost=call_cost)
    assert [b for b in plan if b[0] >= b[1]] == []
    assert plan[0][0] == 0 and plan[-1][1] == len(lengths)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(plan))
    best = min(_cost(lengths, p, call_cost) for p in _all_partitions(len(lengths)))
    assert _cost(lengths, plan, call_cost) == pytest.approx(best)


def test_short_and_long_texts_are_not_padded_together():
    plan = plan_batches([5] * 16 + [60] * 4, call_cost=10.0)
    assert plan == [(0, 16), (16, 20)]


def test_a_batch_never_exceeds_the_cap_and_unsorted_input_is_refused():
    assert max(end - start for start, end in plan_batches([8] * 200, max_batch=64)) <= 64
    with pytest.raises(ValueError):
        plan_batches([9, 3])
