"""Progress over sessions: history per competency, seed 000's end-of-day checklist, the next drill.

The next drill comes from the weakest, highest-weight competencies, spaced over days: an
answer scored 2 comes back sooner than one scored 4.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from coach import records
from coach.taxonomy import load_taxonomy

# Days until a competency comes back, by the last overall score (1-5).
SPACING_DAYS = {1: 1, 2: 1, 3: 3, 4: 7, 5: 14}
CHECKLIST = (
    "Decoded one real JD into 5–7 competency clusters",
    "Built personal competency matrix with confidence ratings",
    "Identified top 2 evidence gaps",
    "Wrote three role-targeted framings of one project",
    "Drafted one answer for each interview Q above",
    "Logged one weak area for tomorrow's prep",
)


@dataclass(slots=True)
class CompetencyHistory:
    cluster_id: str
    name: str
    scores: list[tuple[float, int]]  # (scored_at, overall), oldest first

    @property
    def last(self) -> int | None:
        return self.scores[-1][1] if self.scores else None

    @property
    def average(self) -> float | None:
        recent = [s for _, s in self.scores[-3:]]
        return sum(recent) / len(recent) if recent else None


@dataclass(slots=True)
class Drill:
    cluster_id: str
    name: str
    due: float  # epoch seconds
    priority: float  # JD weight x (5 - recent average); never practised counts as 0
    reason: str


def history(db: Any) -> list[CompetencyHistory]:
    taxonomy = load_taxonomy()
    known = {c.id for c in taxonomy.clusters}
    by_cluster: dict[str, list[tuple[float, int]]] = {}
    for row in records.score_history(db):
        if row["cluster_id"] not in known:
            continue  # a cluster a newer taxonomy removed: its old scores stay stored, not shown
        by_cluster.setdefault(row["cluster_id"], []).append((row["scored_at"], row["overall"]))
    return [CompetencyHistory(cid, taxonomy.cluster(cid).name, scores) for cid, scores in by_cluster.items()]


def _latest_weights(db: Any) -> dict[str, float]:
    import json

    row = records.latest_decode_of_any(db)
    if row is None:
        return {}
    known = {c.id for c in load_taxonomy().clusters}
    return {c["id"]: float(c["weight"]) for c in json.loads(row["json"])["clusters"] if c["id"] in known}


def next_drills(db: Any, *, now: float | None = None, limit: int = 3) -> list[Drill]:
    """What to practise next: due competencies, weakest x heaviest first."""
    now = now or time.time()
    weights = _latest_weights(db)
    seen = {h.cluster_id: h for h in history(db)}
    taxonomy = load_taxonomy()
    drills = []
    for cid in set(weights) | set(seen):
        past = seen.get(cid)
        weight = weights.get(cid, 1.0)
        if past is None:
            drills.append(Drill(cid, taxonomy.cluster(cid).name, now, weight * 5, "in your JD, never practised"))
            continue
        last_at, last = past.scores[-1]
        due = last_at + SPACING_DAYS[last] * 86400
        average = past.average or 0
        drills.append(Drill(cid, past.name, due, weight * (5 - average),
                            f"last scored {last}/5; back after {SPACING_DAYS[last]} day(s)"))
    due_now = [d for d in drills if d.due <= now]
    later = [d for d in drills if d.due > now]
    due_now.sort(key=lambda d: (-d.priority, d.cluster_id))
    later.sort(key=lambda d: (d.due, -d.priority))
    return (due_now + later)[:limit]


def _today(now: float) -> float:
    day = dt.datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp()


def checklist(db: Any, *, now: float | None = None) -> list[tuple[str, bool, str]]:
    """Seed 000's end-of-day checklist, ticked from what the user actually did today."""
    now = now or time.time()
    start = _today(now)

    done = records.activity_since(db, start)
    decoded, rated, retargeted = done["decoded"], done["rated"], done["retargeted"]
    answered, weak = done["answered"], done["weak"]
    return [
        (CHECKLIST[0], decoded > 0, f"{decoded} decoded today"),
        (CHECKLIST[1], rated > 0, f"{rated} competencies rated today"),
        (CHECKLIST[2], rated >= 2, "the top two gaps follow from two or more ratings"),
        (CHECKLIST[3], retargeted > 0, f"{retargeted} story retargeted today"),
        (CHECKLIST[4], answered >= 3, f"{answered} interview answers today (3 needed)"),
        (CHECKLIST[5], weak > 0 or answered > 0, "your weakest competency today becomes tomorrow's drill"),
    ]
