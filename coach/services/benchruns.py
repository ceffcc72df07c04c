"""Benchmark results kept in the database: written by the harness and the Bench screen alike."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from coach import records


@dataclass(frozen=True, slots=True)
class BenchRun:
    kind: str
    model_id: str
    fingerprint: dict[str, Any]
    figures: dict[str, Any]
    created_at: float


def record(db: Any, runs: list[dict[str, Any]]) -> None:
    """Each run: kind, model_id, fingerprint (what it was measured on; never empty), figures."""
    for run in runs:
        if not run.get("fingerprint"):
            raise ValueError(f"benchmark result {run.get('kind')!r} has no fingerprint")
    records.insert_bench_runs(db, runs)


def history(db: Any, limit: int | None = None) -> list[BenchRun]:
    return [BenchRun(r["kind"], r["model_id"], json.loads(r["fingerprint"] or "{}"), json.loads(r["figures"]),
                     r["created_at"]) for r in records.bench_rows(db, limit)]
