"""How the acceptance benchmarks measure: warm-up runs not counted, a cool-down between repetitions,
repetitions until the gated percentile's confidence interval is narrow enough or the time budget ends,
each percentile with a distribution-free confidence interval and its sample count, and a refusal to
gate on a percentile the sample cannot support.

Pure Python and numpy (no scipy): the binomial CDF is summed from log-gamma terms.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

CONFIDENCE = 0.95


# -- order statistics --------------------------------------------------------------------------------
def _binom_cdf(n: int, p: float) -> np.ndarray:
    """[P(Binomial(n, p) <= k) for k = 0 .. n], from log-gamma terms (no scipy)."""
    k = np.arange(n + 1, dtype=float)
    lgamma = np.vectorize(math.lgamma, otypes=[float])
    log_pmf = lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) + k * math.log(p) + (n - k) * math.log1p(-p)
    return np.minimum(np.cumsum(np.exp(log_pmf - log_pmf.max())) * math.exp(log_pmf.max()), 1.0)


def order_ranks(n: int, q: float, confidence: float = CONFIDENCE) -> tuple[int | None, int | None]:
    """1-based ranks (l, u) with P(X_(l) <= ξ_q <= X_(u)) >= confidence for the q-quantile ξ_q of any
    continuous distribution, from n independent samples (Binomial(n, q) counts the samples below ξ_q).
    None where the sample has no such order statistic: the interval is open on that side."""
    alpha = 1.0 - confidence
    cdf = _binom_cdf(n, q / 100.0)  # cdf[k - 1] = P(B <= k - 1), for ranks k = 1 .. n + 1
    low_ok = np.nonzero(cdf[:n] <= alpha / 2)[0]  # the largest l with P(B <= l-1) <= alpha/2
    high_ok = np.nonzero(cdf[:n] >= 1 - alpha / 2)[0]  # the smallest u with P(B <= u-1) >= 1 - alpha/2
    return (int(low_ok[-1]) + 1 if low_ok.size else None), (int(high_ok[0]) + 1 if high_ok.size else None)


def samples_needed(q: float, confidence: float = CONFIDENCE) -> int:
    """The fewest samples whose largest value bounds the q-th percentile from above at this confidence:
    1 - (q/100)^n >= 1 - alpha/2. p50: 6, p95: 72, p99: 368."""
    p, alpha = q / 100.0, 1.0 - confidence
    return math.ceil(math.log(alpha / 2) / math.log(p))


@dataclass(frozen=True, slots=True)
class Percentile:
    q: float
    value: float
    low: float | None  # None: the sample cannot bound it from below
    high: float | None  # None: the sample cannot bound it from above (too few samples to gate on)
    n: int
    needed: int  # samples needed to bound it from above

    @property
    def supported(self) -> bool:
        return self.high is not None

    def relative_width(self) -> float:
        if self.high is None or self.low is None or self.value == 0:
            return math.inf
        return (self.high - self.low) / abs(self.value)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self, unit: str = "", scale: float = 1.0) -> str:
        low = "-∞" if self.low is None else f"{self.low * scale:.4g}"
        high = "+∞" if self.high is None else f"{self.high * scale:.4g}"
        text = f"p{self.q:g} {self.value * scale:.4g}{unit} [{low}, {high}] n={self.n}"
        return text if self.supported else text + f" (needs n ≥ {self.needed} to gate)"


def percentile(samples: list[float] | np.ndarray, q: float, confidence: float = CONFIDENCE) -> Percentile:
    """The q-th percentile with its distribution-free (order-statistic) confidence interval."""
    data = np.sort(np.asarray(samples, dtype=float))
    n = int(data.size)
    needed = samples_needed(q, confidence)
    if n == 0:
        return Percentile(q, math.nan, None, None, 0, needed)
    lower, upper = order_ranks(n, q, confidence)
    return Percentile(q, float(np.percentile(data, q)), None if lower is None else float(data[lower - 1]),
                      None if upper is None else float(data[upper - 1]), n, needed)


def percentiles(samples: list[float] | np.ndarray, qs: tuple[float, ...] = (50, 95, 99)) -> dict[str, Percentile]:
    return {f"p{q:g}": percentile(samples, q) for q in qs}


# -- gating --------------------------------------------------------------------------------------------
PASS, FAIL, UNDECIDED = "pass", "fail", "not enough data"


def judge(estimate: Percentile, limit: float) -> str:
    """Against an upper limit: pass only when the whole interval is inside it, fail only when the whole
    interval is past it; otherwise (including a percentile the sample cannot bound) not enough data."""
    if estimate.low is not None and estimate.low > limit:
        return FAIL
    if estimate.high is not None and estimate.high <= limit:
        return PASS
    return UNDECIDED


# -- repetitions ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Method:
    """warmup: runs before timing starts, not counted; cooldown_s: idle seconds between repetitions;
    repetitions stop once the gated percentile's interval is narrower than rel_width of its value (after
    min_reps), or at max_reps, or when budget_s has been spent."""

    warmup: int = 1
    cooldown_s: float = 0.0
    min_reps: int = 2
    max_reps: int = 20
    budget_s: float = 120.0
    gate_q: float = 95.0
    rel_width: float = 0.10


@dataclass
class Repetitions:
    samples: list[float] = field(default_factory=list)  # every counted sample, in order
    per_rep: list[list[float]] = field(default_factory=list)
    rep_times: list[float] = field(default_factory=list)  # each repetition's start, seconds from the first
    rep_rates: list[float] = field(default_factory=list)  # each repetition's samples per second (e.g. tokens/s)
    stop_reason: str = ""
    elapsed_s: float = 0.0


def repeat(run_once: Callable[[], list[float]], method: Method, *,
           clock: Callable[[], float] = time.perf_counter, sleep: Callable[[float], None] = time.sleep) -> Repetitions:
    """Call run_once (it returns one repetition's samples, e.g. inter-token gaps in seconds) until the
    method says stop. The warm-up runs' samples are dropped."""
    for _ in range(method.warmup):
        run_once()
        if method.cooldown_s:
            sleep(method.cooldown_s)
    out = Repetitions()
    start = clock()
    while True:
        began = clock()
        samples = [float(s) for s in run_once()]
        spent = clock() - began
        out.per_rep.append(samples)
        out.samples.extend(samples)
        out.rep_times.append(began - start)
        out.rep_rates.append(len(samples) / spent if spent > 0 else math.nan)
        reps = len(out.per_rep)
        estimate = percentile(out.samples, method.gate_q)
        if reps >= method.min_reps and estimate.relative_width() <= method.rel_width:
            out.stop_reason = f"p{method.gate_q:g} interval within {method.rel_width:.0%} after {reps} repetitions"
            break
        if reps >= method.max_reps:
            out.stop_reason = f"max repetitions ({method.max_reps})"
            break
        if clock() - start >= method.budget_s:
            out.stop_reason = f"time budget ({method.budget_s:g} s) spent after {reps} repetitions"
            break
        if method.cooldown_s:
            sleep(method.cooldown_s)
    out.elapsed_s = clock() - start
    return out


# -- drift across a run (thermal throttling, a neighbour starting work) ----------------------------------
def trend(times: list[float], rates: list[float], confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Least-squares slope of the rate over the run, as % of the mean rate per minute, with its interval
    (t quantile approximated by the normal one past 30 points). Flagged when the whole interval is below
    zero: the rate fell during the run by more than its scatter explains."""
    x, y = np.asarray(times, dtype=float), np.asarray(rates, dtype=float)
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 3 or np.ptp(x) == 0:
        return {"slope_pct_per_min": None, "ci": None, "flagged": False, "points": int(x.size)}
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    se = math.sqrt(float(residual @ residual) / (x.size - 2) / float(((x - x.mean()) ** 2).sum()))
    t = _t_quantile(x.size - 2, confidence)
    scale = 60.0 * 100.0 / float(y.mean())
    low, high = (slope - t * se) * scale, (slope + t * se) * scale
    return {"slope_pct_per_min": round(float(slope * scale), 3), "ci": [round(float(low), 3), round(float(high), 3)],
            "flagged": bool(high < 0), "points": int(x.size)}


_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
         12: 2.179, 15: 2.131, 20: 2.086, 25: 2.060, 30: 2.042}


def _t_quantile(dof: int, confidence: float) -> float:
    if abs(confidence - 0.95) > 1e-9:
        raise ValueError("only 95% intervals are tabulated")
    if dof > 30:
        return 1.96
    key = max(k for k in _T975 if k <= dof)
    return _T975[key]
