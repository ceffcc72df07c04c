"""Two models or two builds in one interleaved run (bench.interleave): the order of the rounds, the ratios and
their verdicts on constructed rounds, verification of each round, naming the sides, and the CLI's errors.

The rounds here are constructed records of the shape bench.model_run writes (a real round is a fresh process
with a model, seconds each; the hand-run figures are in the README): what is tested is everything done with
them, through the real verification, bootstrap and storage.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from bench.compare import bootstrap_ratio
from bench.interleave import (
    Side,
    report_lines,
    run_comparison,
    save,
    schedule,
    side_ratios,
    side_results,
    sides_for_models,
)
from bench.verify import ExpectedIds
from models.errors import InputError
from models.measure import INTERVIEW_PROMPT

SHA_A, SHA_B = "a" * 64, "b" * 64
IDS = list(range(8))


def side(label: str, sha: str) -> Side:
    return Side(label=label, name=f"model-{label}", python="python", model_id=f"model-{label}", sha256=sha)


def record(ttft: float, gaps: list[float], *, ids: list[int] = IDS, rss_mb: float = 400.0) -> dict:
    return {"ttft_s": [ttft], "gaps_s": gaps, "prompt_tokens_per_s": [97 / ttft], "token_ids": [ids],
            "peak_rss_bytes": rss_mb * 1e6, "load_s": 0.5, "threads": 2, "llama_cpp": "0.3.x",
            "loadavg": [["0.5", "0.5", "0.5"], ["0.6", "0.5", "0.5"]]}


class Rounds:
    """Hands out constructed rounds per side and logs the order it was asked in."""

    def __init__(self, make: dict[str, object]) -> None:
        self.make, self.calls = make, []

    def __call__(self, side: Side, **_: object) -> dict:
        self.calls.append(side.label)
        return self.make[side.label](sum(1 for c in self.calls if c == side.label))


def expected_for(tmp_path, sha: str = SHA_A) -> ExpectedIds:
    ExpectedIds(record=True, directory=tmp_path).check(model_sha256=sha, model_id="m", prompt=INTERVIEW_PROMPT,
                                                       max_tokens=256, ids=IDS)
    return ExpectedIds(record=False, directory=tmp_path)


def test_schedule_interleaves_a_and_b_after_the_warm_up_pairs():
    order = schedule(5, 2)
    assert [s.side for s in order] == ["A", "B"] * 7
    assert [s.counted for s in order] == [False] * 4 + [True] * 10
    assert [s.round for s in order if s.counted and s.side == "B"] == [1, 2, 3, 4, 5]


def test_rounds_run_interleaved_and_drift_does_not_read_as_a_difference(tmp_path):
    """The machine slows 4% a round (a neighbour arriving). Interleaved, A and B share the drift: within
    noise. Had one side run after the other, the same rounds would read as B really slower."""
    rng = np.random.default_rng(3)
    made: list[dict] = []

    def drifting(_: int) -> dict:
        scale = 1 + 0.04 * len(made)
        made.append(record(0.2 * scale, list(rng.normal(0.030, 0.001, 64) * scale)))
        return made[-1]

    runner = Rounds({"A": drifting, "B": drifting})
    comparison = run_comparison(side("A", SHA_A), side("B", SHA_B), rounds=6, warmup=1, runner=runner,
                                expected=expected_for(tmp_path), say=lambda line: None)
    assert runner.calls == ["A", "B"] * 7
    assert comparison.rounds["A"] == made[2::2] and comparison.rounds["B"] == made[3::2]
    p50 = next(r for r in side_ratios(side_results(comparison)) if r.name == "ab_inter_token_latency"
               and r.metric.startswith("p50"))
    assert p50.verdict == "within noise"
    counted = [r["gaps_s"] for r in made[2:]]
    _, low, _ = bootstrap_ratio(counted[:6], counted[6:], lambda x: float(np.median(x)))
    assert low > 1.0  # A A A … then B B B …: the drift alone would have been called real


def test_the_interval_resamples_rounds_not_tokens(tmp_path):
    """Rounds that differ from one another (a slow round lasts its whole generation) but are tight within:
    pooling tokens would call B 'real: higher'; resampling rounds says within noise. A true 20% shift is real."""
    rng = np.random.default_rng(7)
    round_means = {"A": [0.030, 0.036, 0.027, 0.033, 0.039], "B": [0.034, 0.029, 0.038, 0.031, 0.037]}

    def rounds_of(label: str, shift: float = 1.0):
        return lambda n: record(0.2, list(rng.normal(round_means[label][n - 1] * shift, 0.0005, 128)))

    noisy = run_comparison(side("A", SHA_A), side("B", SHA_B), rounds=5, warmup=0,
                           runner=Rounds({"A": rounds_of("A"), "B": rounds_of("B")}),
                           expected=expected_for(tmp_path), say=lambda line: None)
    p50 = next(r for r in side_ratios(side_results(noisy)) if r.metric.startswith("p50") and "inter" in r.name)
    assert p50.verdict == "within noise"
    pooled_a = [[g] for r in noisy.rounds["A"] for g in r["gaps_s"]]
    pooled_b = [[g] for r in noisy.rounds["B"] for g in r["gaps_s"]]
    _, low, high = bootstrap_ratio(pooled_a, pooled_b, lambda x: float(np.median(x)))
    assert not low < 1.0 < high  # the wrong resampling would have called it real

    shifted = run_comparison(side("A", SHA_A), side("B", SHA_B), rounds=5, warmup=0,
                             runner=Rounds({"A": rounds_of("A"), "B": rounds_of("A", 1.6)}),
                             expected=expected_for(tmp_path), say=lambda line: None)
    ratios = side_ratios(side_results(shifted))
    p50 = next(r for r in ratios if r.metric.startswith("p50") and "inter" in r.name)
    assert p50.verdict == "real: B higher" and p50.ratio == pytest.approx(1.6, rel=0.05)
    assert {r.name for r in ratios} == {"ab_time_to_first_token", "ab_inter_token_latency", "ab_prompt_tokens_per_s",
                                        "ab_peak_rss", "ab_load"}


def test_a_round_with_wrong_ids_stops_the_run_and_a_side_without_ids_is_unverified(tmp_path):
    expected = expected_for(tmp_path)
    good = lambda n: record(0.2, [0.03] * 8)  # noqa: E731
    wrong = lambda n: record(0.2, [0.03] * 8, ids=IDS if n < 3 else [0, 1, 9])  # noqa: E731
    failed = run_comparison(side("A", SHA_A), side("B", SHA_B), rounds=5, warmup=1,
                            runner=Rounds({"A": wrong, "B": good}), expected=expected, say=lambda line: None)
    assert failed.verified["A"].startswith("FAILED verification at round 2: model-A: greedy output differs from "
                                           "the expected ids at token 2")
    assert any(line.startswith("A FAILED verification at round 2") for line in report_lines(failed, []))
    lines: list[str] = []
    comparison = run_comparison(side("A", SHA_A), side("B", SHA_B), rounds=5, warmup=1,
                                runner=Rounds({"A": good, "B": good}), expected=expected, say=lines.append)
    assert comparison.verified == {"A": "verified", "B": "UNVERIFIED"}
    assert "12 rounds, A B A B" in lines[0] and "A warm-up 1 (not counted)" in lines[1]
    assert lines[-1].startswith("B round 5/5") and "UNVERIFIED" in lines[-1] and "verified" in lines[-2]


def test_the_run_is_stored_and_compared_again(tmp_path):
    comparison = run_comparison(side("A", SHA_A), side("B", SHA_B), rounds=5, warmup=0,
                                runner=Rounds({"A": lambda n: record(0.2, [0.03 + 0.001 * n] * 16),
                                               "B": lambda n: record(0.3, [0.05 + 0.001 * n] * 16)}),
                                expected=expected_for(tmp_path), say=lambda line: None)
    path, plot, ratios = save(comparison, plot=tmp_path / "ab.svg")
    data = json.loads(path.read_text())
    assert data["interleaved"]["order"] == ["A1", "B1", "A2", "B2", "A3", "B3", "A4", "B4", "A5", "B5"]
    again = side_ratios(data["results"])
    assert [(r.name, r.metric, r.ratio, r.low, r.high) for r in again] == \
           [(r.name, r.metric, r.ratio, r.low, r.high) for r in ratios]
    assert "polyline" in plot.read_text()


def test_cli_reads_a_stored_interleaved_run_again(tmp_path, capsys):
    from tui.cli import main

    comparison = run_comparison(side("A", SHA_A), side("B", SHA_B), rounds=5, warmup=0,
                                runner=Rounds({"A": lambda n: record(0.2, [0.03 + 0.001 * n] * 16),
                                               "B": lambda n: record(0.2, [0.06 + 0.001 * n] * 16)}),
                                expected=expected_for(tmp_path), say=lambda line: None)
    path, _, ratios = save(comparison)
    assert main(["bench", "--compare", str(path), "--plot", str(tmp_path / "again.svg")]) == 0
    out = capsys.readouterr().out
    p50 = next(r for r in ratios if r.name == "ab_inter_token_latency" and r.metric.startswith("p50"))
    assert p50.line() in out and "real: B higher" in p50.line() and (tmp_path / "again.svg").is_file()
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"results": []}))
    assert main(["bench", "--compare", str(plain)]) == 1
    assert "is not an interleaved comparison" in capsys.readouterr().err


def test_a_file_outside_the_registry_is_hashed_and_named_unregistered(tmp_path, models_dir):
    from models.store import ModelStore

    store = ModelStore(models_dir=models_dir)
    gguf = tmp_path / "other.gguf"
    gguf.write_bytes(b"GGUF" + bytes(1000))
    sha = hashlib.sha256(gguf.read_bytes()).hexdigest()
    said: list[str] = []
    a, b = sides_for_models("gemma-3-270m-q4_k_m", str(gguf), store, say=said.append)
    assert a.registered and a.file is None and a.sha256 == store.registry.get("gemma-3-270m-q4_k_m").sha256
    assert not b.registered and b.sha256 == sha and f"UNREGISTERED, sha256 {sha}" in said[-1]
    (tmp_path / "other.gguf.recipe.json").write_text(json.dumps({"output_sha256": "0" * 64}))
    with pytest.raises(InputError, match="its recipe records 000000000000"):
        sides_for_models("gemma-3-270m-q4_k_m", str(gguf), store, say=said.append)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="is not a GGUF model file"):
        sides_for_models(str(tmp_path / "notes.txt"), str(gguf), store)
    with pytest.raises(InputError, match="'no-such-model' is neither a model id nor a file"):
        sides_for_models("no-such-model", str(gguf), store)


def test_a_file_that_changed_after_it_was_hashed_is_not_loaded(tmp_path):
    from models.errors import ModelIntegrityError
    from models.loader import load_gguf_file

    gguf = tmp_path / "other.gguf"
    gguf.write_bytes(b"GGUF" + bytes(1000))
    with pytest.raises(ModelIntegrityError, match="refusing to load other.gguf"):
        load_gguf_file(gguf, sha256="0" * 64)


@pytest.mark.parametrize(("argv", "message"), [
    (["--compare", "a.json", "gemma-3-270m-q4_k_m"], "takes two model ids or GGUF files A B (not run files)"),
    (["--compare", "gemma-3-270m-q4_k_m"], "takes two model ids or GGUF files A B"),
    (["--compare", "gemma-3-270m-q4_k_m", "gemma-3-270m-q4_k_m", "--rounds", "3"], "--rounds must be at least 5"),
    (["--compare-builds", "/no/python", "/no/python2"], "--compare-builds needs one model"),
    (["--compare-builds", "/no/python", "/no/python2", "--models", "gemma-3-270m-q4_k_m"],
     "no Python interpreter at /no/python"),
    (["--compare", "no-such-model", "gemma-3-270m-q4_k_m"], "'no-such-model' is neither a model id nor a file"),
    (["--compare", "missing.json"], "no such benchmark run: missing.json"),
])
def test_cli_argument_errors_are_one_line(capsys, argv, message):
    from tui.cli import main

    assert main(["bench", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
