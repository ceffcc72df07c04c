"""Sweeps, opt-in (`coach bench --sweep`, or `bash scripts/bench.sh --sweep -k sweep`): not part of a plain
`coach bench` nor of the CI smoke. For each benchmarked model:

- time to first token and prompt tokens/s of a cold prompt of 256 ... 4,096 tokens (capped by the model's
  context), the median of at least six repetitions with its order-statistic interval;
- inter-token latency after a context of 0, 1k and 3k tokens: p50 and p95 of the gaps with their intervals.

Every timed generation is greedy and its ids are checked against the stored ones (bench/verify.py).
A table goes to the terminal summary, the points to the results, a plot to <data dir>/bench/sweep-*.svg.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from bench.conftest import report
from bench.method import Method, percentile, repeat, samples_needed
from bench.sweep import CONTEXT_DEPTHS, ITL_TOKENS, PROMPT_LENGTHS, capped, depth_chart, exact_prompt, prompt_chart, real_text
from bench.test_runtime_speed import recorded_on

EVICT = "Unrelated text about cooking pasta for dinner tonight."


def _verify(expected, manifest, prompt: str, max_tokens: int, ids: list[int]) -> None:
    from bench.verify import NoExpectedIds

    try:
        expected.check(model_sha256=manifest.sha256, model_id=manifest.id, prompt=prompt, max_tokens=max_tokens,
                       ids=ids, recorded_on=recorded_on())
    except NoExpectedIds as exc:
        pytest.skip(f"UNVERIFIED, not timed: {exc}")


def _method(method: Method, *, first: bool, min_reps: int) -> Method:
    """The session's method for one point: warm-up before the first point only (the model and its threads are
    warm after it), at least min_reps repetitions, stop on the median's interval."""
    return Method(warmup=method.warmup if first else 0, cooldown_s=method.cooldown_s, min_reps=min_reps,
                  max_reps=max(min_reps, method.max_reps), budget_s=method.budget_s, gate_q=50, rel_width=0.10)


def _plot(kind: str, model_id: str, svg: str) -> str:
    from bench.harness import results_dir

    path = results_dir() / f"sweep-{kind}-{model_id}-{time.strftime('%Y%m%d-%H%M%S')}.svg"
    path.write_text(svg, encoding="utf-8")
    return str(path)


def test_sweep_prompt_length(model, manifest, method, expected):
    from bench.harness import conditions

    at_start = conditions()
    text = real_text()
    lengths = capped(PROMPT_LENGTHS, model.n_ctx - 1)  # one token must still fit to be generated
    points = []
    for i, length in enumerate(lengths):
        prompt = exact_prompt(model.tokenize, length, text)
        rates: list[float] = []

        def cold(prompt: str = prompt, rates: list[float] = rates, length: int = length) -> list[float]:
            model.stream(EVICT, max_tokens=1).collect()  # nothing of the prompt is cached
            completion = model.stream(prompt, max_tokens=1, temperature=0.0)
            ids = [t.id for t in completion if t.id >= 0]
            stats = completion.stats
            assert stats.prompt_tokens == length, f"{stats.prompt_tokens} prompt tokens, not {length}"
            assert stats.reused_tokens <= 8, f"{stats.reused_tokens} prompt tokens were reused: not cold"
            _verify(expected, manifest, prompt, 1, ids)
            rates.append((stats.prompt_tokens - stats.reused_tokens) / stats.time_to_first_token)
            return [stats.time_to_first_token]

        reps = repeat(cold, _method(method, first=i == 0, min_reps=samples_needed(50)))
        del rates[: len(rates) - len(reps.samples)]  # the warm-up's
        points.append({"x": length, "ttft_s": percentile(reps.samples, 50).to_dict(),
                       "ttft_p95_s": percentile(reps.samples, 95).to_dict(),
                       "prompt_tokens_per_s": percentile(rates, 50).to_dict(), "repetitions": len(reps.per_rep),
                       "stop": reps.stop_reason, "samples": [round(s, 6) for s in reps.samples]})
        print(f"\n  {manifest.id} prompt {length} tokens: TTFT p50 {points[-1]['ttft_s']['value']:.3f} s, "
              f"{points[-1]['prompt_tokens_per_s']['value']:.0f} tok/s ({reps.stop_reason})", flush=True)
    figures = {"n_ctx": model.n_ctx, "lengths_asked": list(PROMPT_LENGTHS), "points": points,
               "plot": _plot("prompt", manifest.id, prompt_chart(manifest.id, points))}
    report("sweep_prompt_length", manifest.id, figures, sha256=manifest.sha256, threads=model.n_threads,
           conditions_at_start=at_start)


def test_sweep_context_depth(model, manifest, method, expected):
    from bench.harness import conditions

    at_start = conditions()
    text = real_text()
    floor = len(model.tokenize(""))  # what the tokeniser adds to any prompt (a BOS): depth 0 is that alone
    depths = capped(CONTEXT_DEPTHS, model.n_ctx - 1 - ITL_TOKENS)
    points = []
    for i, depth in enumerate(depths):
        n_tokens = max(depth, floor, 1)
        prompt = exact_prompt(model.tokenize, n_tokens, text)  # "" when the tokeniser's BOS alone is depth 0

        def gaps(prompt: str = prompt) -> list[float]:
            stamps, ids = [], []
            for token in model.stream(prompt, max_tokens=ITL_TOKENS, temperature=0.0, ignore_eos=True):
                if token.id >= 0:
                    stamps.append(token.t)
                    ids.append(token.id)
            _verify(expected, manifest, prompt, ITL_TOKENS, ids)
            return [float(g) for g in np.diff(stamps)]

        reps = repeat(gaps, _method(method, first=i == 0, min_reps=3))
        points.append({"x": depth, "prompt_tokens": n_tokens, "p50": percentile(reps.samples, 50).to_dict(),
                       "p95": percentile(reps.samples, 95).to_dict(), "repetitions": len(reps.per_rep),
                       "stop": reps.stop_reason})
        print(f"\n  {manifest.id} depth {depth}: inter-token p50 {points[-1]['p50']['value'] * 1000:.1f} ms "
              f"({reps.stop_reason})", flush=True)
    figures = {"n_ctx": model.n_ctx, "depths_asked": list(CONTEXT_DEPTHS), "generated_per_repetition": ITL_TOKENS,
               "points": points, "plot": _plot("depth", manifest.id, depth_chart(manifest.id, points))}
    report("sweep_context_depth", manifest.id, figures, sha256=manifest.sha256, threads=model.n_threads,
           conditions_at_start=at_start)
