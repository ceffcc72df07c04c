"""How often the model's tailored question is accepted, and how often it really takes the JD's words.

    COACH_HOME=... .venv/bin/python scripts/measure_tailoring.py [--postings 12] [--questions 2]

On training postings of data/postings (drawn with a fixed seed), plans an interview as the app does and
tailors its first questions with the default text model through the app's own path
(coach.services.interviewing.tailor), the JD's prefix cached first as the read would leave it. Per question:
accepted (a question, close enough to its competency), whether it quotes one of the JD's phrases the prompt
lists for its competency (the prompt asks for one), and seconds to its first word. Prints one JSON line per question, then
the totals.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from fit_decode import in_test, postings  # noqa: E402

from coach import interview as iv  # noqa: E402
from coach.decode import decode  # noqa: E402
from coach.prompting import jd_context, messages  # noqa: E402
from coach.services.interviewing import tailor  # noqa: E402


def quotes_a_phrase(question: str, d, cluster_id: str) -> bool:
    """Whether the question uses one of the phrases the tailoring prompt lists (the cluster's first spans)."""
    cluster = next(c for c in d.clusters if c.id == cluster_id)
    words = " " + " ".join(re.findall(r"[a-z0-9']+", question.lower())) + " "
    return any(" " + " ".join(re.findall(r"[a-z0-9']+", d.text[s:e].lower())) + " " in words
               for s, e in cluster.spans[:iv.TAILOR_PHRASES])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=int, default=12)
    parser.add_argument("--questions", type=int, default=2)
    args = parser.parse_args()
    from models.datadir import models_dir
    from models.loader import load_embedder, load_text_model
    from models.store import ModelStore

    store = ModelStore(models_dir=models_dir())
    model = load_text_model(store, store.registry.default("llm"))
    embedder = load_embedder(store)
    rows = [r for r in postings() if not in_test(r["site"])]
    random.Random(7).shuffle(rows)
    results, used = [], 0
    for row in rows[:args.postings]:
        d = decode(row["text"], embedder=embedder)
        if not d.clusters:
            continue  # nothing to interview on (the app says so instead of starting)
        used += 1
        jd = jd_context(model, d)
        model.stream(messages(jd, "Reply OK."), max_tokens=1, shared_prefix=jd.text).collect()  # as after the read
        for planned in iv.plan_session(d, n=args.questions, embedder=embedder)[:args.questions]:
            started, first, pieces = time.perf_counter(), None, tailor(model, planned.question, d, embedder)
            while True:
                try:
                    piece = next(pieces)
                except StopIteration as stop:
                    text, accepted = stop.value
                    break
                if first is None and piece.strip():
                    first = time.perf_counter() - started
            result = {"posting": row["id"], "question": planned.question.id, "accepted": accepted,
                      "quotes_a_phrase": quotes_a_phrase(text, d, planned.question.cluster),
                      "first_word_s": round(first or 0.0, 2), "text": text}
            results.append(result)
            print(json.dumps(result), flush=True)
    model.close()
    n = len(results)
    if not n:
        sys.exit("no question was tailored: none of the postings drawn has a competency to interview on")
    print(f"{n} questions on {used} postings: accepted {sum(r['accepted'] for r in results)}, "
          f"quotes one of the listed phrases {sum(r['quotes_a_phrase'] for r in results)} "
          f"(of the accepted: {sum(r['quotes_a_phrase'] and r['accepted'] for r in results)}); first word p50 "
          f"{statistics.median(r['first_word_s'] for r in results):.2f} s")


if __name__ == "__main__":
    main()
