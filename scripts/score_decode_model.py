"""Score a decode model file (coach/data/decode_model.json of any revision) on today's frozen test split.

    git show REV:coach/data/decode_model.json > /tmp/before.json
    COACH_HOME=... .venv/bin/python scripts/score_decode_model.py /tmp/before.json
    COACH_HOME=... .venv/bin/python scripts/score_decode_model.py /tmp/before.json coach/data/decode_model.json

With a second file, the two are compared posting by posting (paired): how many test copies only the first
calls right, how many only the second, and the exact two-sided sign-test p-value of that split (McNemar's
test), which says whether a difference in accuracy is more than the luck of the test split's postings (98).

For comparing the model shipped before a refit with the new one on the same test postings (README, "How
well the flavor and level calls hold"): the hybrid models' accuracy without and with the title, and the
flavor's confusion matrix without it. Uses the embedder, like the app.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import fit_decode as fd  # noqa: E402


def hybrid_models(path: str) -> dict[str, dict]:
    return {m["target"]: m for m in json.loads(Path(path).read_text(encoding="utf-8"))["models"] if m["mode"] == "hybrid"}


def sign_test(only_first: int, only_second: int) -> float:
    """Exact two-sided binomial p-value of the discordant pairs' split (McNemar's exact test)."""
    n, k = only_first + only_second, min(only_first, only_second)
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n) if n else 1.0


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    from models.datadir import models_dir
    from models.loader import load_embedder
    from models.store import ModelStore

    models, other = hybrid_models(sys.argv[1]), hybrid_models(sys.argv[2]) if len(sys.argv) == 3 else None
    _, test_rows = fd.split(fd.postings(), freeze=False)
    embedder = load_embedder(ModelStore(models_dir=models_dir()))
    test = [fd.Example(r, with_title, embedder) for r in test_rows for with_title in (False, True)]
    for target in ("flavor", "level"):
        called = [p for p, _ in fd.predict(models[target], test)]
        result = fd.evaluate(test, called, target)
        print(f"{target} ({len(test_rows)} test postings): accuracy without title "
              f"{result['title removed']['accuracy']}, with title {result['title as first line']['accuracy']}")
        if target == "flavor":
            confusion = result["title removed"]["confusion"]
            print("  confusion without title (rows truth, columns called):", " ".join(confusion["labels"]))
            for label, row in zip(confusion["labels"], confusion["matrix"]):
                print(f"  {label:22} {row}")
        if other is not None:
            called_other = [p for p, _ in fd.predict(other[target], test)]
            for name, with_title in (("without title", False), ("with title", True)):
                pairs = [(a == fd.label_of(e, target), b == fd.label_of(e, target))
                         for e, a, b in zip(test, called, called_other) if e.with_title == with_title]
                first, second = sum(a and not b for a, b in pairs), sum(b and not a for a, b in pairs)
                print(f"  {name}: right only by the first file {first}, only by the second {second} "
                      f"(sign test p = {sign_test(first, second):.2f})")


if __name__ == "__main__":
    main()
