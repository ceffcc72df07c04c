"""The sweeps' pieces (bench/sweep.py): exact-length prompts of real text, capping by the context, the table
and the plot; and that the sweeps stay opt-in (not in a plain bench run nor in the CI smoke's selection)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.method import percentile
from bench.sweep import capped, depth_chart, depth_table, exact_prompt, prompt_chart, prompt_table, real_text

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("n_tokens", [1, 2, 256, 1000, 2047])
def test_prompts_are_real_text_of_exactly_the_asked_token_count(gemma, n_tokens):
    text = real_text()
    prompt = exact_prompt(gemma.tokenize, n_tokens, text)
    assert len(gemma.tokenize(prompt)) == n_tokens  # as stream() counts them: the BOS included
    assert text.startswith(prompt) and (len(prompt) > 0) == (n_tokens > len(gemma.tokenize("")))


def test_exact_prompt_walks_on_where_bisection_lands_short():
    # greedy longest match over {"xyz"} and single characters: a count can fall as a merge completes
    # (q:1 qx:2 qxy:3 qxyz:2 qxyzw:3); bisection for 3 lands on "qxyz" (2 tokens), the walk finds "qxyzw"
    def tokenize(text: str) -> list[str]:
        out, i = [], 0
        while i < len(text):
            step = 3 if text.startswith("xyz", i) else 1
            out.append(text[i:i + step])
            i += step
        return out

    assert exact_prompt(tokenize, 3, "qxyzw") == "qxyzw"
    with pytest.raises(ValueError, match="fewer than 9"):
        exact_prompt(tokenize, 9, "qxyzwv")

    def doubles(text: str) -> list[str]:  # "c" costs two: counts 0 1 2 4, never 3
        return [ch for ch in text for _ in range(2 if ch == "c" else 1)]

    with pytest.raises(ValueError, match="exactly 3"):
        exact_prompt(doubles, 3, "abcc")


def test_points_past_the_context_become_the_context_once():
    assert capped((256, 512, 1024, 2048, 4096), 4095) == [256, 512, 1024, 2048, 4095]
    assert capped((256, 512, 1024, 2048, 4096), 1000) == [256, 512, 1000]
    assert capped((0, 1024, 3072), 2047 - 64) == [0, 1024, 1983]


def _prompt_point(x: int, ttfts: list[float]) -> dict:
    return {"x": x, "ttft_s": percentile(ttfts, 50).to_dict(),
            "prompt_tokens_per_s": percentile([x / t for t in ttfts], 50).to_dict(), "repetitions": len(ttfts)}


def test_table_and_plot_show_each_median_with_its_interval_or_say_it_is_open():
    points = [_prompt_point(256, [0.40, 0.41, 0.42, 0.43, 0.44, 0.45]), _prompt_point(512, [0.9])]
    table = prompt_table(points)
    assert "0.425 [0.400, 0.450]" in table[1]  # six samples bound a median by the smallest and largest
    assert "[-∞, +∞]" in table[2]  # one sample bounds nothing
    svg = prompt_chart("m", points)
    assert svg.count("<svg") == 3 and "95% low" in svg and "prompt tokens" in svg
    gaps = [0.01 + i * 1e-4 for i in range(63)]
    depth = [{"x": 0, "p50": percentile(gaps, 50).to_dict(), "p95": percentile(gaps, 95).to_dict(), "repetitions": 1}]
    assert "63" in depth_table(depth)[1] and "context tokens" in depth_chart("m", depth)


def test_sweeps_are_opt_in_and_outside_the_ci_smoke():
    def collected(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "pytest", "bench", "--collect-only", "-q", "-p", "no:randomly",
                               "--bench-models=gemma-3-270m-q4_k_m", *args], capture_output=True, text=True,
                              cwd=ROOT, timeout=120).stdout

    plain = collected()
    assert "test_sweep.py" not in plain and "test_flows.py" in plain
    assert "test_sweep.py::test_sweep_prompt_length" in collected("--sweep", "-k", "sweep")
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    smoke = ci.split('bash scripts/bench.sh -q -k "', 1)[1].split('"', 1)[0]
    assert "test_sweep.py" not in collected("--sweep", "-k", smoke)  # even with --sweep, -k of the smoke excludes them


def test_coach_bench_refuses_sweep_with_quick_in_one_line(capsys):
    from tui.cli import main

    assert main(["bench", "--sweep", "--quick"]) != 0
    err = capsys.readouterr().err
    assert "--sweep and --quick" in err and len(err.strip().splitlines()) <= 2
