"""Where the fitted flavor and level calls go wrong: grouped-CV misses on the training postings, with their drivers.

    COACH_HOME=... .venv/bin/python scripts/decode_errors.py     # writes docs/decode-errors.md

Fits the shipped configuration (C and feature set as docs/decode-report.json records them, hybrid mode) in
the same five folds grouped by site as scripts/fit_decode.py (`cv_folds`), and lists every cross-validated miss with the
features that pushed the wrong call most. Reads the training postings only: the frozen test split is not
looked at. Two counts say how much of the error is in the labels' own ambiguity: flavor misses that name
the posting's labelled second flavor, and level misses whose label came from a title word the copy
without a title cannot see.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import fit_decode as fd  # noqa: E402

from coach.render import UNSURE  # noqa: E402
from coach.roleclass import call, model_from_dict  # noqa: E402

OUT = ROOT / "docs" / "decode-errors.md"


def shipped_config(target: str) -> tuple[float, tuple, float]:
    entry = json.loads((ROOT / "docs" / "decode-report.json").read_text(encoding="utf-8"))["results"][f"hybrid {target}"]
    features = entry["features"]
    return entry["C"], tuple(features.values()), entry["selection"].get("temperature", 1.0)


def cv_calls(train: list, folds: list, target: str) -> list:
    c, config, temperature = shipped_config(target)
    out: list = [None] * len(train)
    for tr, te, view in folds:
        model = model_from_dict(fd.tempered_model(fd.fit_one([view[i] for i in tr], target, "hybrid", c, config),
                                                  temperature))
        for i in te:
            out[i] = call(model, view[i].body, view[i].title, view[i].readings, view[i].vector)
    return out


def section(train: list, calls: list, target: str) -> list[str]:
    misses = [(e, k) for e, k in zip(train, calls) if k.value != fd.label_of(e, target)]
    pairs = Counter((fd.label_of(e, target), k.value) for e, k in misses)
    lines = [f"## {target}", "", f"Cross-validated accuracy {1 - len(misses) / len(train):.3f} "
             f"({len(train)} copies of {len(train) // 2} postings, with and without the title); {len(misses)} misses.", "",
             "| truth | called | misses |", "|---|---|---|"]
    lines += [f"| {t} | {p} | {n} |" for (t, p), n in pairs.most_common()]
    if target == "flavor":
        second = sum(k.value == e.row.get("flavor_secondary") for e, k in misses)
        lines += ["", f"Misses that name the posting's labelled second flavor (a blended posting): {second} of {len(misses)}."]
    else:
        untitled = [(e, k) for e, k in misses if not e.with_title]
        by_title = sum(e.row.get("level_basis", "").lower().startswith("title") for e, _ in untitled)
        lines += ["", f"Misses on the copy without a title whose label was decided by the title (level_basis "
                      f"'title: ...'): {by_title} of {len(untitled)}."]
    unsure = [(e, k) for e, k in zip(train, calls) if k.probabilities[k.value] < UNSURE]
    sure = [(e, k) for e, k in zip(train, calls) if k.probabilities[k.value] >= UNSURE]
    in_top_two = sum(fd.label_of(e, target) in sorted(k.probabilities, key=k.probabilities.get)[-2:] for e, k in unsure)
    lines += ["", f"Calls under {UNSURE:.0%} (shown with their runner-up): {len(unsure)}, right "
                  f"{sum(k.value == fd.label_of(e, target) for e, k in unsure) / max(len(unsure), 1):.0%}, the truth among "
                  f"the top two {in_top_two / max(len(unsure), 1):.0%}; calls at {UNSURE:.0%} or more: {len(sure)}, right "
                  f"{sum(k.value == fd.label_of(e, target) for e, k in sure) / max(len(sure), 1):.0%}."]
    bins = fd.reliability([k.probabilities for k in calls], [fd.label_of(e, target) for e in train])
    lines += ["", f"Reliability of the {target} probability (the called class's, after the shipped temperature):", "",
              "| bin | n | mean probability | accuracy |", "|---|---|---|---|"]
    lines += [f"| {r['bin']} | {r['n']} | {r['confidence']} | {r['accuracy']} |" for r in bins]
    lines += ["", "| posting | title given | truth | called | probabilities | strongest drivers |", "|---|---|---|---|---|---|"]
    for e, k in misses:
        probs = ", ".join(f"{c} {p:.2f}" for c, p in sorted(k.probabilities.items(), key=lambda kv: -kv[1])[:3])
        drivers = ", ".join(f"{name} {points:+.2f}" for name, points in k.drivers[:4])
        lines.append(f"| {e.row['id']} | {'yes' if e.with_title else 'no'} | {fd.label_of(e, target)} | {k.value} | "
                     f"{probs} | {drivers} |")
    return lines + [""]


def main() -> None:
    from models.datadir import models_dir
    from models.loader import load_embedder
    from models.store import ModelStore

    train_rows, _ = fd.split(fd.postings(), freeze=False)
    embedder = load_embedder(ModelStore(models_dir=models_dir()))
    train = [fd.Example(r, t, embedder) for r in train_rows for t in (False, True)]
    lines = ["# Where the flavor and level calls go wrong (grouped CV, training postings)", "",
             "Made by `scripts/decode_errors.py`; do not edit by hand. Drivers: a feature's contribution to the "
             "called class's logit against the mean of the classes (as the decode shows them).", ""]
    folds, _ = fd.cv_folds(train, embedder)  # as the fit's own CV: each fold's title check fitted without it
    for target in ("flavor", "level"):
        lines += section(train, cv_calls(train, folds, target), target)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
