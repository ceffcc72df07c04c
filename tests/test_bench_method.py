"""The benchmark method's statistics: percentile intervals, refusal to gate, repetitions, drift, comparison."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench.compare import bootstrap_ratio, compare_runs
from bench.method import FAIL, PASS, UNDECIDED, Method, judge, order_ranks, percentile, repeat, samples_needed, trend


def test_samples_needed_to_bound_a_percentile():
    assert samples_needed(50) == 6
    assert samples_needed(95) == 72
    assert samples_needed(99) == 368


def test_a_p99_from_30_samples_is_refused_and_says_how_many_it_needs():
    rng = np.random.default_rng(1)
    estimate = percentile(rng.exponential(size=30), 99)
    assert not estimate.supported and estimate.high is None
    assert judge(estimate, limit=1e9) == UNDECIDED  # even a huge limit: the sample cannot bound p99
    assert "needs n ≥ 368" in estimate.describe()
    assert percentile(rng.exponential(size=400), 99).supported


def test_order_statistic_interval_covers_the_true_percentile():
    """Coverage of the 95% interval of p95 over many samples of a known distribution (exponential:
    true p95 = ln 20) must be at least ~95%, and not absurdly wide."""
    rng = np.random.default_rng(7)
    truth = np.log(20.0)
    lower, upper = order_ranks(200, 95)
    assert lower is not None and upper is not None
    hits = 0
    for _ in range(2000):
        data = np.sort(rng.exponential(size=200))
        hits += data[lower - 1] <= truth <= data[upper - 1]
    assert 0.94 <= hits / 2000 <= 0.995


def test_judge_passes_fails_or_says_not_enough_data():
    rng = np.random.default_rng(3)
    estimate = percentile(rng.normal(100, 5, 2000), 95)
    assert judge(estimate, 150) == PASS
    assert judge(estimate, 50) == FAIL
    assert judge(estimate, estimate.value) == UNDECIDED


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_repeat_drops_warmup_sleeps_between_and_stops_when_narrow():
    clock, slept, calls = FakeClock(), [], []
    rng = np.random.default_rng(0)

    def run_once() -> list[float]:
        calls.append(1)
        clock.now += 1.0
        return list(rng.normal(0.05, 0.001, 200))

    reps = repeat(run_once, Method(warmup=2, cooldown_s=0.5, min_reps=2, max_reps=50, rel_width=0.2),
                  clock=clock, sleep=slept.append)
    assert len(calls) == 2 + len(reps.per_rep)
    assert len(reps.samples) == 200 * len(reps.per_rep)  # the warm-up's samples are not counted
    assert len(reps.per_rep) == 2 and "interval within" in reps.stop_reason
    assert slept == [0.5] * (2 + len(reps.per_rep) - 1)


def test_repeat_stops_at_the_time_budget():
    clock = FakeClock()

    def run_once() -> list[float]:
        clock.now += 10.0
        return [0.1, 0.2]  # far too few samples for a p95 interval: only the budget can stop it

    reps = repeat(run_once, Method(warmup=0, budget_s=35, max_reps=100), clock=clock, sleep=lambda s: None)
    assert len(reps.per_rep) == 4 and "time budget" in reps.stop_reason


def test_trend_flags_a_falling_rate_and_not_a_flat_noisy_one():
    rng = np.random.default_rng(5)
    times = list(np.arange(20) * 15.0)
    falling = [30 - 0.05 * t + rng.normal(0, 0.2) for t in times]
    flat = [30 + rng.normal(0, 0.5) for _ in times]
    assert trend(times, falling)["flagged"] and trend(times, falling)["slope_pct_per_min"] < 0
    assert not trend(times, flat)["flagged"]


def test_bootstrap_ratio_finds_a_real_difference_and_not_noise():
    rng = np.random.default_rng(11)
    a = [list(rng.normal(0.050, 0.004, 128)) for _ in range(6)]
    same = [list(rng.normal(0.050, 0.004, 128)) for _ in range(6)]
    slower = [list(rng.normal(0.060, 0.004, 128)) for _ in range(6)]
    point, low, high = bootstrap_ratio(a, slower, lambda x: float(np.median(x)))
    assert low > 1.1 and point == pytest.approx(1.2, rel=0.03)
    _, low, high = bootstrap_ratio(a, same, lambda x: float(np.median(x)))
    assert low < 1.0 < high


def test_compare_runs_reads_two_stored_runs_and_plots(tmp_path):
    rng = np.random.default_rng(2)

    def write(name: str, mean: float) -> object:
        path = tmp_path / f"{name}.json"
        reps = [list(rng.normal(mean, mean / 20, 100)) for _ in range(4)]
        path.write_text(json.dumps({"results": [{"name": "inter_token_latency", "model_id": "m",
                                                 "figures": {"tokens_per_s": 1 / mean}, "samples": reps}]}))
        return path

    plot = tmp_path / "cmp.svg"
    ratios = compare_runs(write("a", 0.05), write("b", 0.04), plot=plot)
    p50 = next(r for r in ratios if r.metric.startswith("p50"))
    assert p50.verdict == "real: B lower"
    assert next(r for r in ratios if r.metric == "tokens_per_s").verdict == "no samples"
    assert plot.read_text().startswith("<svg") and "polyline" in plot.read_text()


def test_expected_ids_record_then_check_and_a_wrong_build_fails(tmp_path):
    from bench.verify import ExpectedIds

    sha = "ab" * 32
    ExpectedIds(record=True, directory=tmp_path).check(model_sha256=sha, model_id="m", prompt="p", max_tokens=4,
                                                       ids=[1, 2, 3, 4], recorded_on={"cpu_model": "here"})
    checker = ExpectedIds(record=False, directory=tmp_path)
    checker.check(model_sha256=sha, model_id="m", prompt="p", max_tokens=4, ids=[1, 2, 3, 4])
    assert checker.checked == 1
    with pytest.raises(AssertionError, match="differs from the expected ids at token 2 .* recorded on here"):
        checker.check(model_sha256=sha, model_id="m", prompt="p", max_tokens=4, ids=[1, 2, 9, 4])
    with pytest.raises(AssertionError, match="no expected token ids"):
        checker.check(model_sha256="cd" * 32, model_id="m", prompt="p", max_tokens=4, ids=[1, 2, 3, 4])
    with pytest.raises(AssertionError, match="no expected token ids"):
        checker.check(model_sha256=sha, model_id="m", prompt="another prompt", max_tokens=4, ids=[1, 2, 3, 4])


def test_expected_ids_are_kept_per_kernel_set(tmp_path):
    """AVX-512 and AVX2 kernels part at a near-tie on the same model and prompt: ids recorded under one set
    neither pass nor fail a run under another, which is reported as unverified."""
    from bench.verify import ExpectedIds, NoExpectedIds, kernels

    sha = "ab" * 32
    ExpectedIds(record=True, directory=tmp_path, kernel_set="avx2").check(
        model_sha256=sha, model_id="m", prompt="p", max_tokens=4, ids=[1, 2, 3, 4])
    ExpectedIds(record=False, directory=tmp_path, kernel_set="avx2").check(
        model_sha256=sha, model_id="m", prompt="p", max_tokens=4, ids=[1, 2, 3, 4])
    with pytest.raises(NoExpectedIds, match="avx512 kernels"):
        ExpectedIds(record=False, directory=tmp_path, kernel_set="avx512").check(
            model_sha256=sha, model_id="m", prompt="p", max_tokens=4, ids=[1, 2, 9, 4])
    assert kernels() in ("avx512", "avx2", "neon", "portable")


def test_conditions_name_governor_power_and_load():
    from bench.harness import conditions

    now = conditions()
    assert now["power"] in ("ac", "battery", "unknown") and len(now["loadavg"]) == 3
    assert now["governor"]  # "unavailable" on a VM without cpufreq, never empty
