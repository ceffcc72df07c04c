"""Would an ordinal model read the level better? L4 < L5 < Staff, fitted three ways on the same features.

    .venv/bin/python scripts/explore_level_ordinal.py      # prints a table; changes nothing

The shipped level model is a multinomial logistic regression (`scripts/fit_decode.py`): it does not know that
L5 lies between L4 and Staff. Two ordinal models that do are compared with it by the decode's own grouped
cross-validation (folds by site, training postings only, each fold's title check fitted without it), on the
lexical decode's features (the level models use no embedding), for each C and body-vocabulary size (the
level model shipped when this was run, 400 terms at C 0.003,
among them; the shipped models are now 150 terms at C 0.001 with the embedder, none at C 0.1 without):
- cumulative logit with shared slopes (proportional odds): one weight vector, a cut point per step; fitted as
  one logistic regression over each posting stated twice, "above L4?" and "above L5?", with a step indicator;
- Frank & Hall: two independent binary models, P(above L4) and P(above L5), combined into three classes.
Classes are balanced by weight in all three. The frozen test split is not read.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fit_decode as fd  # noqa: E402

from coach.roleclass import LEVELS  # noqa: E402


def design(fitted_on: list[fd.Example], read: list[fd.Example], size: int) -> tuple[np.ndarray, np.ndarray]:
    """The shipped level model's features, its vocabularies fitted on `fitted_on` only."""
    shell = fd.feature_shell(fitted_on, "level", "lexical", size, False)
    return tuple(np.stack([fd.features(shell, e) for e in examples]) for examples in (fitted_on, read))  # type: ignore[return-value]


def probabilities(kind: str, xa: np.ndarray, ya: np.ndarray, xb: np.ndarray, c: float) -> np.ndarray:
    counts = Counter(ya.tolist())
    w = np.array([len(ya) / (len(counts) * counts[v]) for v in ya])
    if kind == "multinomial":
        return LogisticRegression(C=c, max_iter=5000).fit(xa, ya, sample_weight=w).predict_proba(xb)
    if kind == "frank-hall":
        above = [LogisticRegression(C=c, max_iter=5000).fit(xa, (ya > k).astype(int), sample_weight=w)
                 .predict_proba(xb)[:, 1] for k in (0, 1)]
    else:  # cumulative logit: P(above step k) = sigmoid(w.x + b + d_k), d_0 = 0
        n = len(xa)
        stacked = np.vstack([np.hstack([xa, np.zeros((n, 1))]), np.hstack([xa, np.ones((n, 1))])])
        fit = LogisticRegression(C=c, max_iter=5000).fit(
            stacked, np.concatenate([ya > 0, ya > 1]).astype(int), sample_weight=np.concatenate([w, w]))
        score = xb @ fit.coef_[0][:-1] + fit.intercept_[0]
        above = [1 / (1 + np.exp(-(score + step))) for step in (0.0, fit.coef_[0][-1])]
    first, second = above[0], np.minimum(above[0], above[1])
    return np.stack([1 - first, first - second, second], axis=1)


def main() -> None:
    train, _ = fd.split(fd.postings(), freeze=False)
    examples = [fd.Example(r, t, None) for r in train for t in (False, True)]
    folds, _ = fd.cv_folds(examples, None)
    print("| model | C | body vocabulary | CV accuracy, title removed | CV accuracy, title as first line |")
    print("|---|---|---|---|---|")
    for kind in ("multinomial", "cumulative logit", "frank-hall"):
        for size in (0, 150, 400):
            for c in (0.003, 0.03, 0.1, 0.3, 1.0):
                called: list[str | None] = [None] * len(examples)
                for tr, te, view in folds:
                    xa, xb = design([view[i] for i in tr], [view[i] for i in te], size)
                    ya = np.array([LEVELS.index(fd.label_of(view[i], "level")) for i in tr])
                    for i, row in zip(te, probabilities(kind, xa, ya, xb, c)):
                        called[i] = LEVELS[int(np.argmax(row))]
                right = [(e.with_title, called[i] == fd.label_of(e, "level")) for i, e in enumerate(examples)]
                without, with_title = (np.mean([ok for t, ok in right if t == titled]) for titled in (False, True))
                print(f"| {kind} | {c} | {size} | {without:.3f} | {with_title:.3f} |", flush=True)


if __name__ == "__main__":
    main()
