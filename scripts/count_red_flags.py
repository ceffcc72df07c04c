"""Count where seed 004's red flags turn up in graded answers, per competency; the brief orders them by it.

    .venv/bin/python scripts/count_red_flags.py      # writes coach/data/red_flag_counts.json

The morning-of brief (coach/brief.py) lists seed 004's red flags for every role, and puts first
the ones that graded answers on the JD's competencies actually showed. The counts come from the
training pool of data/answers/ only (the frozen test questions, sha256(question_id) % 5 == 0,
and holdout.jsonl are left out, as scripts/fit_rubric.py leaves them out).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach import judgement as J  # noqa: E402

DATA = ROOT / "data" / "answers"
POOL_FILES = ("behavioural.jsonl", "system_design.jsonl", "technical.jsonl")
TEST_FIFTH = 5  # as scripts/fit_rubric.py: a pool question is in the test split when its hash % 5 == 0
OUT = ROOT / "coach" / "data" / "red_flag_counts.json"


def in_test_split(question_id: str) -> bool:
    return int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % TEST_FIFTH == 0


def main() -> int:
    answers: Counter[str] = Counter()
    flags: dict[str, Counter[str]] = defaultdict(Counter)
    for name in POOL_FILES:
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if in_test_split(row["question_id"]):
                continue
            answers[row["cluster"]] += 1
            for flag in row.get("red_flags", []):
                if flag in J.FLAGS:
                    flags[flag][row["cluster"]] += 1
    out = {"source": "data/answers/ training pool (test split and holdout left out)",
           "answers": dict(sorted(answers.items())),
           "flags": {f: dict(sorted(flags[f].items())) for f in J.FLAGS if f != "to_grader"}}
    OUT.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"{sum(answers.values())} answers; flags: " + ", ".join(f"{f} {sum(c.values())}" for f, c in flags.items()))
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
