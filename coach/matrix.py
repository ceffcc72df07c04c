"""The personal competency matrix of seed 000's "Gap Analysis".

One row per cluster of a decoded JD: Competency | My evidence | Confidence 1-5. Gaps are
ranked by impact x likelihood of being tested: JD weight x (5 - confidence); the top two
are this week's priorities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coach import records
from coach.decode import Decode
from models.errors import InputError

UNRATED_AS = 3  # an unrated competency ranks as the neutral middle until the user rates it
PRIORITIES = 2


@dataclass(slots=True)
class MatrixRow:
    cluster_id: str
    name: str
    weight: float
    evidence: str
    stories: list[str]
    confidence: int | None
    priority: float = 0.0
    this_week: bool = False


def confidences(db: Any, jd_id: int) -> dict[str, int | None]:
    return {cid: r["confidence"] for cid, r in records.matrix_rows(db, jd_id).items()}


def gap_priority(weight: float, confidence: int | None) -> float:
    return weight * (5 - (confidence if confidence is not None else UNRATED_AS))


def build_matrix(db: Any, jd_id: int, decode: Decode) -> list[MatrixRow]:
    saved = records.matrix_rows(db, jd_id)
    rows = []
    for cluster in decode.clusters:
        row = saved.get(cluster.id, {})
        stories = records.story_titles_for(db, cluster.id)
        confidence = row.get("confidence")
        rows.append(MatrixRow(cluster.id, cluster.name, cluster.weight, row.get("evidence") or "", stories, confidence,
                              gap_priority(cluster.weight, confidence)))
    return rank_gaps(rows)


def rank_gaps(rows: list[MatrixRow]) -> list[MatrixRow]:
    """Flag the top gaps (highest priority; heavier weight breaks ties) as this week's priorities."""
    ranked = sorted((r for r in rows if r.priority > 0), key=lambda r: (-r.priority, -r.weight))
    top = {id(r) for r in ranked[:PRIORITIES]}
    for row in rows:
        row.this_week = id(row) in top
    return rows


def set_row(db: Any, jd_id: int, cluster_id: str, *, evidence: str | None = None,
            confidence: int | None = None) -> None:
    if confidence is not None and not 1 <= int(confidence) <= 5:
        raise InputError(f"confidence is 1 to 5, not {confidence}")
    current = records.matrix_rows(db, jd_id).get(cluster_id, {})
    records.upsert_matrix_row(
        db, jd_id=jd_id, cluster_id=cluster_id,
        evidence=evidence if evidence is not None else current.get("evidence", ""),
        confidence=int(confidence) if confidence is not None else current.get("confidence"))


def evidence_text(row: MatrixRow) -> str:
    """What the user has for a competency: their own note, then their linked stories."""
    return "; ".join(filter(None, [row.evidence, *(f"story: {s}" for s in row.stories)]))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def matrix_markdown(rows: list[MatrixRow], title: str) -> str:
    lines = [f"# Competency matrix: {_cell(title)}", "",
             "| Competency | JD weight | My evidence | Confidence (1–5) | Gap priority |", "|---|---|---|---|---|"]
    for row in rows:
        evidence = _cell(evidence_text(row)) or "—"
        flag = " **← this week**" if row.this_week else ""
        confidence = str(row.confidence) if row.confidence is not None else "unrated"
        lines.append(f"| {_cell(row.name)} | {row.weight:g} | {evidence} | {confidence} | {row.priority:g}{flag} |")
    priorities = [r for r in rows if r.this_week]
    lines += ["", f"Gap priority = JD weight × (5 − confidence); an unrated row counts as confidence {UNRATED_AS}."]
    if priorities:
        lines += ["", "## This week's priorities", ""]
        lines += [f"{i}. {r.name} (priority {r.priority:g})" for i, r in enumerate(priorities, 1)]
    return "\n".join(lines) + "\n"
