"""How far two labellers agree on the corpus's flavor and level labels: the ceiling a classifier's accuracy can be
measured against.

    .venv/bin/python scripts/label_agreement.py

A second labeller read 80 postings drawn at random (seed 19) from the corpus as it stood before batch 4, with the
labelling guide's Flavor and Level sections and the seeds it cites, and labelled them without seeing the first
labels or running any program of the repo (data/label-agreement/TASK.md is the task as given). Prints raw
agreement and Cohen's kappa for flavor and level, how often one labeller's primary flavor is among the other's
primary and secondary, and the disagreements.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from fit_decode import postings  # noqa: E402

SECOND = ROOT / "data" / "label-agreement" / "second-labeller.jsonl"
DUPLICATES = ROOT / "data" / "postings" / "DUPLICATES.json"


def agreement() -> dict:
    first = {row["id"]: row for row in postings()}
    second = [json.loads(line) for line in SECOND.read_text(encoding="utf-8").splitlines() if line.strip()]
    # A posting removed later as a copy of another (DUPLICATES.json) has no first label any more: the kept copy is
    # another text, which the second labeller did not read, so the pair is left out rather than re-matched.
    removed = {r["id"] for r in json.loads(DUPLICATES.read_text(encoding="utf-8"))["removed"]}
    left_out = sorted(s["id"] for s in second if s["id"] in removed)
    missing = [s["id"] for s in second if s["id"] not in first and s["id"] not in removed]
    if missing:
        raise SystemExit(f"second labels for postings not in the corpus: {missing[:3]}")
    pairs = [(first[s["id"]], s) for s in second if s["id"] in first]
    out: dict = {"n": len(pairs), "left_out_as_duplicates": left_out}
    for target in ("flavor", "level"):
        a, b = [p[target] for p, _ in pairs], [s[target] for _, s in pairs]
        out[target] = {"agreement": round(sum(x == y for x, y in zip(a, b)) / len(a), 3),
                       "kappa": round(float(cohen_kappa_score(a, b)), 3),
                       "disagreements": dict(Counter(f"{x} / {y}" for x, y in zip(a, b) if x != y))}
    out["flavor"]["either_primary_in_other_pair"] = round(sum(
        p["flavor"] in (s["flavor"], s["flavor_secondary"]) or s["flavor"] in (p["flavor"], p.get("flavor_secondary"))
        for p, s in pairs) / len(pairs), 3)
    sure = [(p, s) for p, s in pairs if s.get("confidence") == "high"]
    out["flavor"]["second_labeller_sure"] = {"n": len(sure), "agreement": round(
        sum(p["flavor"] == s["flavor"] for p, s in sure) / max(1, len(sure)), 3)}
    return out


if __name__ == "__main__":
    print(json.dumps(agreement(), indent=2))
