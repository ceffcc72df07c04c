"""Measure the feedback with a real model on graded answers: guard failures, voice, invented facts, latency.

    .venv/bin/python scripts/measure_feedback.py --n 40            # the default model, 40 answers
    .venv/bin/python scripts/measure_feedback.py --model qwen2.5-coder-0.5b-instruct-q4_k_m --n 20

Answers are the first N scored above 1 from data/answers/{behavioural,system_design,technical}.jsonl,
in file order (their questions are the rubric's training questions: this measures the feedback,
not the rubric). For each: the rubric, then stream_feedback with the model, timing the first
model word after the call. Reported (and written to docs/feedback-report.json):
- guard failures per slot (model sentences dropped, by reason) and the share of model slots that
  fell back to the rubric's words;
- shown text in the right voice: openings in the first person, follow-ups and outlines addressed to "you",
  none speaking of "the candidate";
- invented facts shown: numbers or capitalised names in released model text that appear in
  neither the answer nor the question, re-checked here independently of the guard (must be 0);
- time to the first model word after submit: p50 / p95.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach import feedback as fb  # noqa: E402
from coach.rubric import score_answer  # noqa: E402


def answers(n: int) -> list[dict]:
    rows = []
    for name in ("behavioural", "system_design", "technical"):
        rows += [json.loads(line) for line in (ROOT / "data" / "answers" / f"{name}.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r["grade"] > 1]
    return [rows[i] for i in np.linspace(0, len(rows) - 1, n).astype(int)]  # spread over the three kinds


def invented(text: str, sources: str) -> list[str]:
    numbers = [n for n in re.findall(r"\d[\d,.]*", text) if n.strip(".,") not in sources]
    names = [w for w in re.findall(r"(?<=[a-z,;] )[A-Z][A-Za-z0-9]+", text) if w.lower() not in sources.lower()]
    return numbers + names


def right_voice(slot: str, text: str) -> bool:
    """The opening speaks as the user (first person); the follow-up and the outline speak to them."""
    if re.search(r"\bthe candidate\b", text, re.IGNORECASE):
        return False
    if slot == "opening":
        return bool(re.search(r"\bI\b|\b(?:my|me|we|our|us)\b", text, re.IGNORECASE)) and "you" not in text.lower()
    if slot == "follow_up":
        return text.rstrip().endswith("?") and bool(re.search(r"\byou(?:r)?\b", text, re.IGNORECASE))
    return bool(re.search(r"\byou(?:r)?\b", text, re.IGNORECASE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--model", help="a model id (default: the active model)")
    args = parser.parse_args()
    from coach.modelchoice import active_model
    from coach.storage import open_db
    from models.datadir import models_dir
    from models.loader import load_embedder, prepare_text_model
    from models.store import ModelStore

    store = ModelStore(models_dir=models_dir())
    manifest = store.registry.get(args.model) if args.model else active_model(open_db(), store.registry)
    model = prepare_text_model(store, manifest)
    embedder = load_embedder(store)
    firsts, slots, fallbacks, voice_ok, voice_n, shown_invented = [], Counter(), Counter(), 0, 0, []
    fb.GUARD_FAILURES.clear()
    for row in answers(args.n):
        rubric = score_answer(row["answer"], question=row["question"], competency=row["cluster"], embedder=embedder)
        started, first = time.perf_counter(), None
        for event in fb.stream_feedback(model, question=row["question"], answer=row["answer"], rubric=rubric):
            if isinstance(event, fb.FeedbackText) and event.slot.source == "model" and first is None:
                first = time.perf_counter() - started
            if isinstance(event, fb.FeedbackDone) and event.slot.source == "model":
                slots[event.slot.id] += 1
                if event.source == "rubric":
                    fallbacks[event.slot.id] += 1
                    continue
                shown_invented += invented(event.text, row["answer"] + " " + row["question"])
                voice_n += 1
                voice_ok += right_voice(event.slot.id, event.text)
        if first is not None:
            firsts.append(first)
        print(f"{row['id']}: overall {rubric.overall} (graded {row['grade']}), first model word "
              f"{'-' if first is None else f'{first:.2f}s'}", flush=True)
    model.close()
    report = {
        "model": manifest.id, "answers": args.n,
        "model_slots": dict(slots), "fell_back_to_rubric": dict(fallbacks),
        "fallback_share": round(sum(fallbacks.values()) / max(sum(slots.values()), 1), 3),
        "guard_failures": dict(fb.GUARD_FAILURES),
        "right_voice_share": round(voice_ok / max(voice_n, 1), 3),
        "invented_facts_shown": shown_invented,
        "first_model_word_s": {"p50": round(float(np.percentile(firsts, 50)), 2),
                               "p95": round(float(np.percentile(firsts, 95)), 2), "n": len(firsts)} if firsts else {},
    }
    (ROOT / "docs" / "feedback-report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
