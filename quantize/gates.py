"""Per-type release gates (quantize/gates.toml) and the verdict on a comparison, errors included.

Each figure is judged by its 95% interval, not its point value: a check fails only when the whole
interval is past the limit, passes only when the whole interval is on the right side, and is
undecided when the interval straddles the limit. The verdict is FAIL if any check fails, else
NOT ENOUGH DATA if any is undecided (a longer corpus or more task items would decide it), else PASS.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from models.errors import InputError
from quantize.compare import TokenReport

GATES = Path(__file__).parent / "gates.toml"
# Exit codes of `coach quantize check`. 2 is taken by coach for an internal error, 130 for Ctrl-C.
EXIT_PASS, EXIT_FAIL, EXIT_NOT_ENOUGH_DATA = 0, 1, 3
PASS, FAIL, UNDECIDED = "pass", "FAIL", "not enough data"


@dataclass(frozen=True, slots=True)
class Verdict:
    qtype: str
    outcome: str  # PASS, FAIL or UNDECIDED
    failures: list[str]
    checks: list[str]
    undecided: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.outcome == PASS

    @property
    def exit_code(self) -> int:
        return {PASS: EXIT_PASS, FAIL: EXIT_FAIL, UNDECIDED: EXIT_NOT_ENOUGH_DATA}[self.outcome]

    def to_dict(self) -> dict:
        return {"qtype": self.qtype, "outcome": self.outcome, "passed": self.passed, "exit_code": self.exit_code,
                "failures": self.failures, "undecided": self.undecided, "checks": self.checks}


def load_gates(path: Path = GATES) -> dict[str, dict[str, float]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def decide(low: float, high: float, limit: float, *, upper_limit: bool) -> str:
    """PASS, FAIL or UNDECIDED for an interval [low, high] against a limit (a maximum if upper_limit)."""
    if upper_limit:
        return FAIL if low > limit else PASS if high <= limit else UNDECIDED
    return FAIL if high < limit else PASS if low >= limit else UNDECIDED


def judge(report: TokenReport, qtype: str, gates: dict[str, dict[str, float]] | None = None,
          flips: dict | None = None) -> Verdict:
    """`flips` is ParityReport.flips (rate and its interval), or None when task parity was not run."""
    gates = gates or load_gates()
    if qtype not in gates:
        raise InputError(f"no gate for {qtype}", hint=f"gated types: {', '.join(gates)}")
    gate, s = gates[qtype], report.stats
    rows: list[tuple[str, str, float, tuple[float, float], float, bool]] = []  # key, name, value, interval, limit, max?
    if "max_mean_kld" in gate:
        rows.append(("max_mean_kld", "mean KLD", s["kld"]["mean"], tuple(s["kld"]["mean_ci95"]), gate["max_mean_kld"], True))
    if "max_p99_kld" in gate:
        rows.append(("max_p99_kld", "p99 KLD", s["kld"]["percentiles"]["99"], tuple(s["kld"]["p99_ci95"]),
                     gate["max_p99_kld"], True))
    if "min_same_top1" in gate:
        rows.append(("min_same_top1", "same top token", s["same_top"]["value"], tuple(s["same_top"]["ci95"]),
                     gate["min_same_top1"], False))
    if "max_ppl_ratio" in gate:
        rows.append(("max_ppl_ratio", "PPL ratio", s["ppl"]["ratio"], tuple(s["ppl"]["ratio_ci95"]),
                     gate["max_ppl_ratio"], True))
    checks, failures, undecided = [], [], []
    for _, name, value, (low, high), limit, upper in rows:
        outcome = decide(low, high, limit, upper_limit=upper)
        line = (f"{name} {value:.6g} [95% {low:.4g}, {high:.4g}] ({'≤' if upper else '≥'} {limit:g}): "
                f"{'ok' if outcome == PASS else outcome}")
        checks.append(line)
        (failures if outcome == FAIL else undecided if outcome == UNDECIDED else []).append(line)
    if "max_flip_rate" in gate:
        if flips is None:
            checks.append(f"task flips (≤ {gate['max_flip_rate']:g}): not measured (run with --tasks)")
        else:
            low, high = flips["rate_ci95"]
            outcome = decide(low, high, gate["max_flip_rate"], upper_limit=True)
            line = (f"task flips {flips['flips']}/{flips['items']} = {flips['rate']:.3g} [95% {low:.3g}, {high:.3g}] "
                    f"(≤ {gate['max_flip_rate']:g}): {'ok' if outcome == PASS else outcome}")
            checks.append(line)
            (failures if outcome == FAIL else undecided if outcome == UNDECIDED else []).append(line)
    verdict = FAIL if failures else UNDECIDED if undecided else PASS
    return Verdict(qtype, verdict, failures, checks, undecided)


def guess_type(path: Path) -> str | None:
    name = path.name.upper().replace("-", "_").replace(".", "_")
    for qtype in ("Q5_K_M", "Q4_K_M", "Q6_K", "Q8_0", "Q4_0"):
        if qtype in name:
            return qtype
    return None
