"""The acceptance benchmarks of a model on this machine, asserted against a target-hardware profile.

For each benchmarked model (default: the 270M test model and the default coach model):
load time; time to first token for a realistic interview prompt, cold and with prefix
reuse; inter-token latency over 256 generated tokens (p50/p95/p99 computed here);
tokens/s and prompt tokens/s; peak RSS (in a fresh process); the bandwidth-bound ceiling
and the achieved fraction; and, for the app, its streaming path against the runtime
alone and grammar-constrained against plain decoding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from bench.conftest import ROOT, check, record, report
from bench.harness import bytes_per_token, ceiling, memory_read_bandwidth
from models.measure import INTERVIEW_PROMPT, measure_stream, percentile_ms

N_TOKENS = 256
QUESTION_A = "\n\nAsk one question about debugging a production regression."
QUESTION_B = "\n\nAsk one question about partnering with legal on quality thresholds."


def test_load_time(benchmark, store, manifest, profile):
    from models.loader import load_text_model

    def load_and_close() -> None:
        load_text_model(store, manifest).close()

    benchmark.pedantic(load_and_close, rounds=3, iterations=1)
    stats = record(benchmark, model=manifest.id)
    report("load_time", manifest.id, {"load_s": stats["p50"], "p95": stats["p95"]}, sha256=manifest.sha256)


def _cold(model) -> None:
    model.stream("An unrelated warm-up so nothing of the interview prompt is cached.", max_tokens=1).collect()


def test_time_to_first_token(benchmark, model, manifest, profile):
    colds, reused, prompt_tps = [], [], []

    def cold_then_reused() -> None:
        _cold(model)
        first = model.stream(INTERVIEW_PROMPT + QUESTION_A, max_tokens=1)
        first.collect()
        second = model.stream(INTERVIEW_PROMPT + QUESTION_B, max_tokens=1)
        second.collect()
        colds.append(first.stats.time_to_first_token)
        reused.append(second.stats.time_to_first_token)
        prompt_tps.append(first.stats.prompt_tokens / first.stats.time_to_first_token)

    benchmark.pedantic(cold_then_reused, rounds=3, iterations=1, warmup_rounds=1)
    figures = {"ttft_s": float(np.percentile(colds, 95)), "ttft_cold_p50_s": float(np.median(colds)),
               "ttft_reused_p50_s": float(np.median(reused)), "prompt_tokens_per_s": float(np.median(prompt_tps))}
    record(benchmark, **{k: round(v, 4) for k, v in figures.items()})
    report("time_to_first_token", manifest.id, figures, sha256=manifest.sha256, threads=model.n_threads)
    assert figures["ttft_reused_p50_s"] < figures["ttft_cold_p50_s"], "prefix reuse must lower time to first token"
    check(profile, manifest.id, "ttft_s", figures["ttft_s"])


def test_inter_token_latency(benchmark, store, model, manifest, profile):
    runs = []

    def generate() -> None:
        runs.append(measure_stream(model, INTERVIEW_PROMPT, max_tokens=N_TOKENS, ignore_eos=True))

    benchmark.pedantic(generate, rounds=2, iterations=1)
    gaps = [g for run in runs for g in run.inter_token_s]
    assert all(run.generated_tokens == N_TOKENS for run in runs)
    tps = float(np.median([run.tokens_per_s for run in runs]))
    figures = {"p50_ms": percentile_ms(gaps, 50), "p95_ms": percentile_ms(gaps, 95), "p99_ms": percentile_ms(gaps, 99),
               "tokens_per_s": tps, "tokens": len(gaps) + len(runs)}
    per_token = bytes_per_token(store.path(manifest))
    figures.update(ceiling(memory_read_bandwidth(threads=model.n_threads), per_token, tps))
    benchmark.extra_info.update({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()})
    report("inter_token_latency", manifest.id, figures, sha256=manifest.sha256, threads=model.n_threads)
    check(profile, manifest.id, "p95_inter_token_ms", figures["p95_ms"])


def test_peak_rss(manifest, profile, bench_home):
    """Load and generate in a fresh process, so the figure is this model's alone."""
    env = {**os.environ, "COACH_HOME": str(bench_home)}
    out = subprocess.run([sys.executable, "-m", "bench.rss_probe", manifest.id], capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=600, check=True).stdout
    peak = json.loads(out.strip().splitlines()[-1])["peak_rss_mb"]
    report("peak_rss", manifest.id, {"peak_rss_mb": peak}, sha256=manifest.sha256)
    check(profile, manifest.id, "peak_rss_mb", peak)


def test_grammar_overhead(benchmark, model, manifest):
    """Per-token latency with a JSON-schema constraint against plain decoding of the same length."""
    schema = {"type": "object", "properties": {"focus": {"type": "string"}, "expectations": {"type": "string"}},
              "required": ["focus", "expectations"]}
    results = {}

    def both() -> None:
        results["plain"] = measure_stream(model, INTERVIEW_PROMPT, max_tokens=96, ignore_eos=True)
        results["grammar"] = measure_stream(model, INTERVIEW_PROMPT, max_tokens=96, json_schema=schema)

    benchmark.pedantic(both, rounds=1, iterations=1)
    plain, constrained = results["plain"], results["grammar"]
    ratio = constrained.p50_ms / plain.p50_ms
    figures = {"overhead_ratio": ratio, "plain_p50_ms": plain.p50_ms, "grammar_p50_ms": constrained.p50_ms,
               "grammar_tokens": constrained.generated_tokens}
    benchmark.extra_info.update({k: round(v, 3) for k, v in figures.items()})
    report("grammar_overhead", manifest.id, figures, sha256=manifest.sha256, threads=model.n_threads)
