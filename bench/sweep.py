"""Sweeps (opt-in: `coach bench --sweep`): time to first token and prompt tokens/s over prompt lengths, and
inter-token latency at context depths, each point's median with its order-statistic interval (bench/method.py).

Prompts are real text (job postings of data/postings, pinned by id) cut so that the model's own tokeniser
makes exactly the wanted number of tokens of them, as `stream()` tokenises a prompt (special tokens included).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.plots import line_chart

PROMPT_LENGTHS = (256, 512, 1024, 2048, 4096)
CONTEXT_DEPTHS = (0, 1024, 3072)
ITL_TOKENS = 64  # generated per repetition at each depth: enough gaps to bound a p95 from one repetition
ROOT = Path(__file__).resolve().parents[1]


# The postings the prompts are cut from, pinned by id (the first 20 in id order on 2026-12-01, ~38,000
# characters): the stored ids of each greedy run are keyed by its prompt, so new postings must not change it.
SWEEP_POSTINGS = (
    "3ranga-ai-design-tool-backend-architect",
    "3ranga-cognizant-sr-product-engineering-mgr-fde",
    "acbjobs-acb-ho-ai-engineer-expert",
    "accel-dropbox-principal-swe-corporate-ai",
    "aidevboard-sierra-swe-payments-infrastructure",
    "aihiresignal-anthropic-staff-software-engineer-cloud-inference-safeguards",
    "aihiresignal-baseten-post-training-research-engineer",
    "aihiresignal-booking-ml-scientist-i-performance-marketing",
    "aihiresignal-booking-senior-machine-learning-scientist-agentic",
    "aihiresignal-mercury-senior-mlops-engineer",
    "aihiresignal-microsoft-research-intern-ai-evaluation-alignment",
    "aihiresignal-microsoft-research-intern-msr-special-projects",
    "aihiresignal-notion-model-behavior-engineer",
    "aihiresignal-openai-swe-chatgpt-infrastructure",
    "aihiresignal-unity-staff-ml-engineer-ml-infrastructure-online",
    "aijobs-amazon-sr-ml-scientist-demand-forecasting",
    "aijobs-anthropic-performance-engineer-inference-systems",
    "aijobs-anthropic-swe-account-abuse",
    "aijobs-work-mastercard-lead-ml-engineer",
    "aijobs-zillion-google-ai-architect-ai-chat-bot",
)


def postings_by_id() -> dict[str, dict]:
    """The corpus of real postings (data/postings), by id: the benchmarks' real text, pinned by id."""
    return {p["id"]: p for path in sorted((ROOT / "data/postings").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
            for p in [json.loads(line)]}


def real_text() -> str:
    """The pinned postings' text, in that order: real job descriptions, more than the longest prompt needs."""
    postings = postings_by_id()
    return "\n\n".join(postings[i]["text"] for i in SWEEP_POSTINGS)


def exact_prompt(tokenize: Callable[[str], Sequence[int]], n_tokens: int, text: str) -> str:
    """The longest start of `text` that `tokenize` turns into exactly n_tokens tokens (whatever it adds, such
    as a BOS, counted). Token counts grow with the cut but can jump by two at one character (a merge), so the
    cut found by bisection is walked forward until the count is exact."""
    if len(tokenize(text)) < n_tokens:
        raise ValueError(f"the text makes fewer than {n_tokens} tokens")
    lo, hi = 0, len(text)  # count(text[:lo]) <= n_tokens < count(text[:hi]) or hi == len(text)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if len(tokenize(text[:mid])) <= n_tokens:
            lo = mid
        else:
            hi = mid
    for cut in range(lo, min(len(text), lo + 64) + 1):
        if len(tokenize(text[:cut])) == n_tokens:
            return text[:cut]
    for cut in range(lo, max(0, lo - 64), -1):
        if len(tokenize(text[:cut])) == n_tokens:
            return text[:cut]
    raise ValueError(f"no start of the text makes exactly {n_tokens} tokens")


def capped(points: Sequence[int], limit: int) -> list[int]:
    """The points that fit in `limit` tokens; a point past it becomes the limit itself (once)."""
    out: list[int] = []
    for point in points:
        value = min(point, limit)
        if value not in out:
            out.append(value)
    return out


def _bounds(points: list[dict[str, Any]], key: str, label: str, scale: float = 1.0) -> dict[str, list[tuple[float, float]]]:
    """A median's line and its interval's bounds as two more lines (an open bound leaves its point out)."""
    def value(v: float | None) -> float:
        return math.nan if v is None else v * scale

    series = {label: [(p["x"], value(p[key]["value"])) for p in points],
              "95% low": [(p["x"], value(p[key]["low"])) for p in points],
              "95% high": [(p["x"], value(p[key]["high"])) for p in points]}
    return {name: pts for name, pts in series.items() if any(math.isfinite(y) for _, y in pts)}


def stack(charts: list[str]) -> str:
    """Several SVG charts one under another in one SVG file."""
    sizes = [tuple(int(v) for v in re.search(r'width="(\d+)" height="(\d+)"', c).groups()) for c in charts]  # type: ignore[union-attr]
    width, y, parts = max(w for w, _ in sizes), 0, []
    for chart, (_, h) in zip(charts, sizes):
        parts.append(chart.replace("<svg ", f'<svg y="{y}" ', 1))
        y += h
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}">\n' + "\n".join(parts) + "\n</svg>"


def prompt_chart(model_id: str, points: list[dict[str, Any]]) -> str:
    ttft = _bounds(points, "ttft_s", "median")
    rate = _bounds(points, "prompt_tokens_per_s", "median")
    return stack([line_chart(ttft, title=f"{model_id}: time to first token (median, 95% interval)",
                             x_label="prompt tokens", y_label="seconds", log_x=True),
                  line_chart(rate, title=f"{model_id}: prompt evaluation (median, 95% interval)",
                             x_label="prompt tokens", y_label="tokens/s", log_x=True)])


def depth_chart(model_id: str, points: list[dict[str, Any]]) -> str:
    series = _bounds(points, "p50", "p50", 1000.0)
    series["p95"] = [(p["x"], p["p95"]["value"] * 1000.0) for p in points]
    return line_chart(series, title=f"{model_id}: inter-token latency by context depth", x_label="context tokens",
                      y_label="ms")


def _interval(p: dict, scale: float, fmt: str) -> str:
    low = "-∞" if p["low"] is None else format(p["low"] * scale, fmt)
    high = "+∞" if p["high"] is None else format(p["high"] * scale, fmt)
    return f"{format(p['value'] * scale, fmt)} [{low}, {high}]"


def prompt_table(points: list[dict[str, Any]]) -> list[str]:
    lines = [f"{'prompt tokens':>13}  {'TTFT p50 s [95%]':28} {'prompt tok/s p50 [95%]':28} reps"]
    for p in points:
        lines.append(f"{p['x']:>13}  {_interval(p['ttft_s'], 1, '.3f'):28} "
                     f"{_interval(p['prompt_tokens_per_s'], 1, '.0f'):28} {p['ttft_s']['n']}")
    return lines


def depth_table(points: list[dict[str, Any]]) -> list[str]:
    lines = [f"{'context tokens':>14}  {'inter-token p50 ms [95%]':28} {'p95 ms [95%]':28} gaps  reps"]
    for p in points:
        lines.append(f"{p['x']:>14}  {_interval(p['p50'], 1000, '.1f'):28} {_interval(p['p95'], 1000, '.1f'):28} "
                     f"{p['p50']['n']:>4}  {p['repetitions']}")
    return lines
