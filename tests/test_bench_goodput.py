"""Goodput of the flow benchmarks (bench/goodput.py) on constructed interaction records."""

from __future__ import annotations

import math

import pytest

from bench.goodput import FLOW_INTERACTIONS, Interaction, flow_interactions, goodput, wilson

PROFILE = {"first_question_word_s": 1.0, "submit_to_score_s": 0.1, "first_feedback_word_s": 1.0,
           "read_first_word_s": 1.0, "p95_inter_token_ms": 150.0}


def feedback(score: float, first_word: float, i: int = 0) -> Interaction:
    return Interaction("feedback", "v", i, {"submit_to_score_s": score, "first_feedback_word_s": first_word})


def test_an_interaction_counts_only_when_it_met_every_target_that_applies():
    records = [
        feedback(0.05, 0.8),  # both met: good
        feedback(0.05, 1.4),  # score met, first word late: not good
        feedback(0.30, 0.8),  # first word met, score late: not good
        Interaction("question", "v", 0, {"first_question_word_s": 0.9}),  # its one target met: good
        Interaction("read", "v", 0, {"read_first_word_s": 1.0}),  # exactly at the limit: met
    ]
    result = goodput(records, PROFILE)
    assert (result.good, result.n) == (3, 5)
    assert result.misses == {"first_feedback_word_s": 1, "submit_to_score_s": 1}
    assert result.by_variant == {"feedback (v)": [1, 3], "question (v)": [1, 1], "read (v)": [1, 1]}


def test_a_round_whose_feedback_met_two_of_its_three_waits_is_not_all_good():
    """A user's round: the question on time, the score on time, the first feedback word late. Two of the three
    targets of the round are met; the feedback interaction (which holds the late one) is not good."""
    round_ = [Interaction("question", "v", 0, {"first_question_word_s": 0.5}), feedback(0.05, 2.0)]
    result = goodput(round_, PROFILE)
    assert (result.good, result.n) == (1, 2)
    assert result.share == pytest.approx(0.5)


def test_a_missing_measure_that_a_target_applies_to_is_an_error_and_nan_misses():
    with pytest.raises(ValueError, match="first_feedback_word_s"):
        goodput([Interaction("feedback", "v", 0, {"submit_to_score_s": 0.01})], PROFILE)
    assert goodput([feedback(0.01, math.nan)], PROFILE).good == 0


def test_kinds_without_a_target_in_the_profile_are_left_out_and_said():
    only_questions = {"first_question_word_s": 1.0}
    records = [feedback(9.0, 9.0), Interaction("question", "v", 0, {"first_question_word_s": 0.2})]
    result = goodput(records, only_questions)
    assert (result.good, result.n, result.untargeted) == (1, 1, 1)
    assert "1 had none" in result.describe()
    assert goodput(records, {}).share is None


def test_wilson_interval_against_known_values():
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    low, high = wilson(90, 100)
    assert low < 0.9 < high and high - low < 0.13


def test_flow_samples_become_one_record_per_interaction_per_round():
    keys = {key for _, _, measures in FLOW_INTERACTIONS for key in measures.values()}
    samples = {key: [0.05, 0.5, 3.0] for key in keys}
    records = flow_interactions(samples)
    assert len(records) == 3 * len(FLOW_INTERACTIONS)
    fb = [r for r in records if r.kind == "feedback" and r.variant == "after a prepared question"]
    assert [r.measures["first_feedback_word_s"] for r in fb] == [0.05, 0.5, 3.0]
    feedback_kinds = sum(kind == "feedback" for kind, _, _ in FLOW_INTERACTIONS)
    assert feedback_kinds == 3  # after a prepared question, the answer read as typed, submitted mid-draft
    result = goodput(records, PROFILE)
    # round 0 all met; round 1: the 0.5 s score misses (every feedback), the rest meet; round 2: all miss
    assert result.good == len(FLOW_INTERACTIONS) + len(FLOW_INTERACTIONS) - feedback_kinds
    samples["submit_to_score_s"] = [0.05, 0.5]
    with pytest.raises(ValueError, match="rounds"):
        flow_interactions(samples)


def test_the_summary_puts_goodput_first_with_its_interval_and_what_was_missed(monkeypatch):
    import bench.conftest as bench_conftest
    from bench.method import percentile

    keys = {key for _, _, measures in FLOW_INTERACTIONS for key in measures.values()}
    samples = {key: [0.05, 0.05, 0.05] for key in keys} | {"submit_to_first_feedback_word_s": [0.5, 2.0, 3.0]}
    figures = goodput(flow_interactions(samples), PROFILE).to_figures() | {"profile": "p", "estimates": {
        "submit_to_first_feedback_word_s": {"p50": percentile([0.5, 2.0, 3.0], 50).to_dict()}}}
    result = {"name": "flows_2000", "model_id": "m", "figures": figures,
              "fingerprint": {"conditions": {"start": {"loadavg": ["0.5", "0.4", "0.3"]}}}}
    monkeypatch.setattr(bench_conftest, "RESULTS", [result])

    class Lines:  # what pytest's terminal reporter is asked to do here: sections and lines
        def __init__(self) -> None:
            self.lines: list[str] = []

        def section(self, title: str) -> None:
            self.lines.append(f"== {title}")

        def write_line(self, line: str) -> None:
            self.lines.append(line)

    out = Lines()
    bench_conftest._summarise_goodput(out)
    text = "\n".join(out.lines)
    n = 3 * len(FLOW_INTERACTIONS)
    assert f"goodput {n - 2}/{n} = {(n - 2) / n:.0%} [" in text and "(Wilson 95%)" in text
    assert "missed first_feedback_word_s (≤ 1 s): 2" in text
    assert "feedback (after a prepared question)" in text and "1/3" in text
    assert "p50 2 s [-∞, +∞] n=3" in text
