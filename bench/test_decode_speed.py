"""Deterministic decode time (model load excluded): the decode must feel instant."""

from __future__ import annotations

import pytest

from bench.conftest import dev_set_text, record
from coach.decode import decode

# p95 targets in seconds on the 2-core reference machine (issue: 10k characters under 300 ms).
TARGETS = {1_000: 0.100, 10_000: 0.300, 100_000: 3.0}


@pytest.mark.parametrize("length", sorted(TARGETS))
def test_decode_time(benchmark, embedder, length):
    text = dev_set_text(length)
    decode(text, embedder=embedder)  # build the taxonomy's anchor vectors once, as the app does at start
    rounds = 15 if length <= 10_000 else 3
    result = benchmark.pedantic(decode, args=(text,), kwargs={"embedder": embedder}, rounds=rounds, iterations=1)
    stats = record(benchmark, characters=len(text), units=len(result.units))
    assert stats["p95"] < TARGETS[length], f"p95 {stats['p95'] * 1000:.0f} ms for {len(text):,} characters"


def test_lexical_decode_time(benchmark):
    text = dev_set_text(10_000)
    benchmark.pedantic(decode, args=(text,), rounds=15, iterations=1, warmup_rounds=1)
    assert record(benchmark, characters=len(text))["p95"] < 0.100
