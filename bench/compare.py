"""Two benchmark runs side by side: per-metric ratios (B / A) with bootstrap confidence intervals, which
differences are real (the interval excludes 1), and a plot of both per-token latency distributions.

A run is a JSON file the harness wrote (`<data dir>/bench/run-*.json`). Results that stored their raw
samples per repetition (`samples`: a list of lists) get intervals; the bootstrap resamples whole
repetitions, because samples within one generation are correlated (a slow stretch lasts many tokens).
Figures without samples are shown as a plain ratio, marked "no samples".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.plots import cdf_points, line_chart

STATISTICS: dict[str, Callable[[np.ndarray], float]] = {
    "p50": lambda x: float(np.percentile(x, 50)),
    "p95": lambda x: float(np.percentile(x, 95)),
    "mean": lambda x: float(np.mean(x)),
}
SCALAR_KEYS = ("ttft_s", "prompt_tokens_per_s", "tokens_per_s", "load_s", "peak_rss_mb", "overhead_ratio",
               "goodput")


@dataclass(frozen=True, slots=True)
class Ratio:
    name: str
    model_id: str | None
    metric: str
    a: float
    b: float
    ratio: float
    low: float | None
    high: float | None

    @property
    def verdict(self) -> str:
        if self.low is None or self.high is None:
            return "no samples"
        if self.high < 1.0:
            return "real: B lower"
        if self.low > 1.0:
            return "real: B higher"
        return "within noise"

    def line(self) -> str:
        interval = f"[{self.low:.3f}, {self.high:.3f}]" if self.low is not None else "[no samples]"
        model = "" if self.model_id == "" else f"{self.model_id or '-':36} "  # "": one run's sides, no model column
        return (f"{self.name:24} {model}{self.metric:22} A {self.a:10.4g}  B {self.b:10.4g}  "
                f"B/A {self.ratio:6.3f} {interval:18} {self.verdict}")


def bootstrap_ratio(a_reps: list[list[float]], b_reps: list[list[float]], stat: Callable[[np.ndarray], float], *,
                    rounds: int = 2000, seed: int = 0, confidence: float = 0.95) -> tuple[float, float, float]:
    """stat(B) / stat(A) with a percentile-bootstrap interval; each side resamples its repetitions."""
    rng = np.random.default_rng(seed)
    a_arrays = [np.asarray(r, dtype=float) for r in a_reps if len(r)]
    b_arrays = [np.asarray(r, dtype=float) for r in b_reps if len(r)]
    point = stat(np.concatenate(b_arrays)) / stat(np.concatenate(a_arrays))
    ratios = np.empty(rounds)
    for i in range(rounds):
        a = np.concatenate([a_arrays[j] for j in rng.integers(0, len(a_arrays), len(a_arrays))])
        b = np.concatenate([b_arrays[j] for j in rng.integers(0, len(b_arrays), len(b_arrays))])
        ratios[i] = stat(b) / stat(a)
    alpha = (1 - confidence) / 2
    return float(point), float(np.quantile(ratios, alpha)), float(np.quantile(ratios, 1 - alpha))


def load_run(path: Path) -> dict[tuple[str, str | None], dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {(r["name"], r.get("model_id")): r for r in data.get("results", [])}


def result_ratios(name: str, model_id: str | None, a: dict[str, Any], b: dict[str, Any], *,
                  scalars: bool = True) -> list[Ratio]:
    """B / A for one result of each run: every statistic of its samples with a bootstrap interval over the
    repetitions (a result may name its statistics in `statistics`), then (`scalars`) its scalar figures as
    plain ratios."""
    ratios: list[Ratio] = []
    a_reps, b_reps = a.get("samples"), b.get("samples")
    if a_reps and b_reps and len(a_reps) >= 2 and len(b_reps) >= 2:
        for stat_name in a.get("statistics") or STATISTICS:
            stat = STATISTICS[stat_name]
            point, low, high = bootstrap_ratio(a_reps, b_reps, stat)
            ratios.append(Ratio(name, model_id, f"{stat_name} ({a.get('unit', 's')})",
                                stat(np.concatenate(a_reps)), stat(np.concatenate(b_reps)), point, low, high))
    for metric in SCALAR_KEYS if scalars else ():
        va, vb = a.get("figures", {}).get(metric), b.get("figures", {}).get(metric)
        if isinstance(va, int | float) and isinstance(vb, int | float) and va:
            ratios.append(Ratio(name, model_id, metric, float(va), float(vb), float(vb) / float(va), None, None))
    return ratios


def write_distributions(path: Path, distributions: dict[str, list[list[float]]], *,
                        title: str = "Per-sample latency, A and B (cumulative)", width: int = 640) -> None:
    """Each named sample set (repetitions of seconds) as a cumulative distribution in ms, one SVG."""
    series = {label[:28]: cdf_points([s for rep in reps for s in rep]) for label, reps in distributions.items()}
    path.write_text(line_chart(series, title=title, x_label="ms", y_label="% of samples at or below", width=width,
                               legend_chars=max(map(len, series), default=0)), encoding="utf-8")


def compare_runs(a_path: Path, b_path: Path, *, plot: Path | None = None) -> list[Ratio]:
    a_run, b_run = load_run(a_path), load_run(b_path)
    ratios: list[Ratio] = []
    distributions: dict[str, list[list[float]]] = {}
    for key in sorted(set(a_run) & set(b_run), key=lambda k: (k[0], k[1] or "")):
        a, b = a_run[key], b_run[key]
        ratios += result_ratios(key[0], key[1], a, b)
        if a.get("samples") and b.get("samples") and a.get("unit", "s") == "s":
            label = f"{key[0]} {key[1] or ''}".strip()
            distributions[f"A {label}"] = a["samples"]
            distributions[f"B {label}"] = b["samples"]
    if plot is not None and distributions:
        write_distributions(plot, distributions)
    return ratios


def report_lines(a_path: Path, b_path: Path, ratios: list[Ratio]) -> list[str]:
    lines = [f"A: {a_path}", f"B: {b_path}", "ratios B/A with 95% bootstrap intervals over repetitions; "
             "'real' where the interval excludes 1"]
    lines += [r.line() for r in ratios]
    if not ratios:
        lines.append("the two runs share no benchmark")
    return lines
