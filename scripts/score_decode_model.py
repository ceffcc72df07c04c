"""Score a decode model file (coach/data/decode_model.json of any revision) on today's frozen test split.

    git show REV:coach/data/decode_model.json > /tmp/before.json
    COACH_HOME=... .venv/bin/python scripts/score_decode_model.py /tmp/before.json

For comparing the model shipped before a refit with the new one on the same test postings (README, "How
well the flavor and level calls hold"): the hybrid models' accuracy without and with the title, and the
flavor's confusion matrix without it. Uses the embedder, like the app.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import fit_decode as fd  # noqa: E402


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    from models.datadir import models_dir
    from models.loader import load_embedder
    from models.store import ModelStore

    models = {(m["target"], m["mode"]): m for m in json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))["models"]}
    _, test_rows = fd.split(fd.postings(), freeze=False)
    embedder = load_embedder(ModelStore(models_dir=models_dir()))
    test = [fd.Example(r, with_title, embedder) for r in test_rows for with_title in (False, True)]
    for target in ("flavor", "level"):
        result = fd.evaluate(test, [p for p, _ in fd.predict(models[(target, "hybrid")], test)], target)
        print(f"{target} ({len(test_rows)} test postings): accuracy without title "
              f"{result['title removed']['accuracy']}, with title {result['title as first line']['accuracy']}")
        if target == "flavor":
            confusion = result["title removed"]["confusion"]
            print("  confusion without title (rows truth, columns called):", " ".join(confusion["labels"]))
            for label, row in zip(confusion["labels"], confusion["matrix"]):
                print(f"  {label:22} {row}")


if __name__ == "__main__":
    main()
