"""Per-type regression gates (quantize/gates.toml) and the verdict on a comparison."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from models.errors import InputError
from quantize.compare import TokenReport

GATES = Path(__file__).parent / "gates.toml"


@dataclass(frozen=True, slots=True)
class Verdict:
    qtype: str
    passed: bool
    failures: list[str]
    checks: list[str]


def load_gates(path: Path = GATES) -> dict[str, dict[str, float]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def judge(report: TokenReport, qtype: str, gates: dict[str, dict[str, float]] | None = None) -> Verdict:
    gates = gates or load_gates()
    if qtype not in gates:
        raise InputError(f"no gate for {qtype}", hint=f"gated types: {', '.join(gates)}")
    gate = gates[qtype]
    checks, failures = [], []
    for key, value, limit, ok in [
        ("mean KLD", report.mean_kld, gate["max_mean_kld"], report.mean_kld <= gate["max_mean_kld"]),
        ("same top token", report.same_top1, gate["min_same_top1"], report.same_top1 >= gate["min_same_top1"]),
        ("PPL ratio", report.ppl_ratio, gate["max_ppl_ratio"], report.ppl_ratio <= gate["max_ppl_ratio"]),
    ]:
        line = f"{key} {value:.6g} ({'≥' if key == 'same top token' else '≤'} {limit:g}): {'ok' if ok else 'FAIL'}"
        checks.append(line)
        if not ok:
            failures.append(line)
    return Verdict(qtype, not failures, failures, checks)


def guess_type(path: Path) -> str | None:
    name = path.name.upper().replace("-", "_").replace(".", "_")
    for qtype in ("Q5_K_M", "Q4_K_M", "Q6_K", "Q8_0", "Q4_0"):
        if qtype in name:
            return qtype
    return None
