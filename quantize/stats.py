"""The statistics of a quantized-vs-reference comparison, with their errors.

Token figures follow llama.cpp's `perplexity --kl-divergence` (tools/perplexity/perplexity.cpp):
the same percentile definition (linear between order statistics), the same "±" (standard error of
the mean, sqrt((E[x²] - E[x]²) / (n - 1))), RMS Δp's error by the delta method, same-top's binomial
error, and ln(PPL ratio)'s error from the covariance of the two models' per-token NLLs.

The gates need intervals rather than "±", so this module also gives exact binomial intervals
(Clopper-Pearson), distribution-free intervals for percentiles (from order statistics), McNemar's
exact test and a paired bootstrap. Standard library and numpy only: no scipy in coach's dependencies.

Every error here treats scored tokens as independent, as llama.cpp does; neighbouring tokens are
correlated, so the true errors are somewhat larger (see docs/quantize-section.md).
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054  # two-sided 95% normal quantile
KLD_PERCENTILES = (99.9, 99.0, 95.0, 90.0, 50.0, 10.0, 5.0, 1.0, 0.1)
DP_PERCENTILES = (99.9, 99.0, 95.0, 90.0, 75.0, 50.0, 25.0, 10.0, 5.0, 1.0, 0.1)


def mean_and_error(values: np.ndarray) -> tuple[float, float]:
    """llama.cpp's mean_and_uncertainty: the mean and its standard error (0 for n <= 10, as there)."""
    n = values.size
    if n < 1:
        return 0.0, 0.0
    mean = float(values.mean(dtype=np.float64))
    var = float(np.mean(np.square(values, dtype=np.float64))) - mean * mean
    return mean, math.sqrt(var / (n - 1)) if var > 0 and n > 10 else 0.0


def percentile(sorted_values: np.ndarray, pct: float) -> float:
    """llama.cpp's percentile: linear interpolation between neighbouring order statistics."""
    if pct <= 0:
        return float(sorted_values[0])
    if pct >= 100:
        return float(sorted_values[-1])
    pos = pct / 100 * (sorted_values.size - 1)
    i = int(pos)
    frac = pos - i
    return float((1 - frac) * sorted_values[i] + frac * sorted_values[min(i + 1, sorted_values.size - 1)])


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed in log space (n up to ~10^6 is fine)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if p <= 0:
        return 1.0
    if p >= 1:
        return 0.0
    ks = np.arange(k + 1, dtype=np.float64)
    # log C(n, j) + j log p + (n - j) log(1 - p), through the ratio C(n, j+1)/C(n, j) = (n - j)/(j + 1)
    log_c = np.concatenate([[0.0], np.cumsum(np.log((n - ks[:-1]) / (ks[:-1] + 1)))])
    log_pmf = log_c + ks * math.log(p) + (n - ks) * math.log1p(-p)
    top = log_pmf.max()
    return float(min(1.0, math.exp(top) * np.exp(log_pmf - top).sum()))


def _bisect(f, lo: float = 0.0, hi: float = 1.0, iters: int = 60) -> float:
    """The root of an increasing f on [lo, hi]."""
    for _ in range(iters):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact two-sided interval for a proportion k/n: never narrower than the data allow."""
    if n == 0:
        return 0.0, 1.0
    lower = 0.0 if k == 0 else _bisect(lambda p: (1 - binom_cdf(k - 1, n, p)) - alpha / 2)
    upper = 1.0 if k == n else _bisect(lambda p: alpha / 2 - binom_cdf(k, n, p))
    return lower, upper


def percentile_interval(sorted_values: np.ndarray, pct: float, alpha: float = 0.05) -> tuple[float, float]:
    """Distribution-free interval for a percentile from order statistics: the ranks between which the
    true quantile lies with probability >= 1 - alpha. An end is ±inf when n is too small to bound it
    (e.g. the 99.9th percentile of 2,000 tokens has no finite 97.5% upper bound)."""
    n, q = sorted_values.size, pct / 100
    lo_rank = hi_rank = None
    # lo_rank: the largest r with P(X < r) <= alpha/2, X ~ Bin(n, q) counting values below the quantile.
    centre = int(n * q)
    span = int(6 * math.sqrt(n * q * (1 - q))) + 3
    for r in range(max(centre - span, 0), min(centre + span, n) + 1):
        if binom_cdf(r - 1, n, q) <= alpha / 2:
            lo_rank = r
        if hi_rank is None and binom_cdf(r - 1, n, q) >= 1 - alpha / 2:
            hi_rank = r
    lower = -math.inf if not lo_rank else float(sorted_values[lo_rank - 1])
    upper = math.inf if hi_rank is None or hi_rank > n else float(sorted_values[hi_rank - 1])
    return lower, upper


def mcnemar_exact(a: list[bool], b: list[bool]) -> dict:
    """McNemar's exact test on paired binary outcomes (here: "flipped" for two systems on the same items).
    Only discordant items count; p is the two-sided binomial probability of a split this uneven."""
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    n = only_a + only_b
    p = 1.0 if n == 0 else min(1.0, 2 * binom_cdf(min(only_a, only_b), n, 0.5))
    return {"only_first": only_a, "only_second": only_b, "p_value": p}


def paired_bootstrap(a: np.ndarray, b: np.ndarray, *, rounds: int = 5000, seed: int = 0,
                     alpha: float = 0.05) -> tuple[float, float, float]:
    """Mean of a - b over paired items and its percentile bootstrap interval (items resampled together)."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if diff.size == 0:
        return 0.0, 0.0, 0.0
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, diff.size, size=(rounds, diff.size))].mean(axis=1)
    return float(diff.mean()), float(np.quantile(means, alpha / 2)), float(np.quantile(means, 1 - alpha / 2))


def token_statistics(kld: np.ndarray, dp: np.ndarray, same_top: np.ndarray, nll_ref: np.ndarray,
                     nll_cand: np.ndarray) -> dict:
    """Every figure `perplexity --kl-divergence` prints, plus the 95% intervals the gates use."""
    n = int(kld.size)
    kld_sorted, dp_sorted = np.sort(kld.astype(np.float64)), np.sort(dp.astype(np.float64))
    kld_mean, kld_err = mean_and_error(kld)
    dp_mean, dp_err = mean_and_error(dp)
    mse, mse_err = mean_and_error(np.square(dp.astype(np.float64)))
    rms = math.sqrt(mse)
    same = int(same_top.sum())
    same_p = same / n
    ln_q, ln_q_err = mean_and_error(nll_cand)
    ln_b, ln_b_err = mean_and_error(nll_ref)
    cov = float(np.mean(nll_cand.astype(np.float64) * nll_ref) - ln_q * ln_b) / (n - 1) if n >= 10 else 0.0
    ln_ratio = ln_q - ln_b
    ln_ratio_err = math.sqrt(max(ln_q_err**2 + ln_b_err**2 - 2 * cov, 0.0))
    p99_lo, p99_hi = percentile_interval(kld_sorted, 99.0)
    return {
        "tokens": n,
        "kld": {"mean": kld_mean, "error": kld_err, "max": float(kld_sorted[-1]), "min": float(kld_sorted[0]),
                "percentiles": {f"{p:g}": percentile(kld_sorted, p) for p in KLD_PERCENTILES},
                "mean_ci95": [kld_mean - Z95 * kld_err, kld_mean + Z95 * kld_err], "p99_ci95": [p99_lo, p99_hi]},
        "dp": {"mean": dp_mean, "error": dp_err, "max": float(dp_sorted[-1]), "min": float(dp_sorted[0]),
               "percentiles": {f"{p:g}": percentile(dp_sorted, p) for p in DP_PERCENTILES},
               "rms": rms, "rms_error": 0.5 / rms * mse_err if rms > 0 else 0.0, "shape": dp_shape(dp_mean, dp_err)},
        "same_top": {"value": same_p, "count": same, "error": math.sqrt(same_p * (1 - same_p) / (n - 1)) if n > 1 else 0.0,
                     "ci95": list(clopper_pearson(same, n))},
        "ppl": {"reference": math.exp(ln_b), "reference_error": math.exp(ln_b) * ln_b_err,
                "candidate": math.exp(ln_q), "candidate_error": math.exp(ln_q) * ln_q_err,
                "correlation": cov / (ln_q_err * ln_b_err) if ln_q_err > 0 and ln_b_err > 0 else 1.0,
                "ln_ratio": ln_ratio, "ln_ratio_error": ln_ratio_err,
                "ratio": math.exp(ln_ratio), "ratio_error": math.exp(ln_ratio) * ln_ratio_err,
                "ratio_ci95": [math.exp(ln_ratio - Z95 * ln_ratio_err), math.exp(ln_ratio + Z95 * ln_ratio_err)]},
    }


def dp_shape(mean: float, error: float) -> str:
    """Noise moves the correct token's probability both ways; damage mostly takes it away. A mean Δp whose
    95% interval lies below zero is the sign of the second."""
    if mean + Z95 * error < 0:
        return "skewed negative (degradation)"
    if mean - Z95 * error > 0:
        return "skewed positive"
    return "symmetric (noise)"
