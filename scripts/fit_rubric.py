"""Fit the rubric's classifiers and grade models on graded answers; report on answers they never saw.

    .venv/bin/python scripts/fit_rubric.py            # fit, write coach/data/rubric_model.json, report
    .venv/bin/python scripts/fit_rubric.py --freeze   # (once) freeze the test split: write its hashes

Data (docs/answers-format.md, docs/grading-guide.md):
- data/answers/{behavioural,system_design,technical}.jsonl: the training pool;
- data/answers/holdout.jsonl: answers by another author to questions of their own, and the
  pool's questions whose id hashes into the test fifth: the frozen test split. Its hashes are in
  data/answers/SPLIT.json; fitting refuses to run when they no longer match;
- data/answers/flag_sentences.jsonl: labelled red-flag and hard-negative sentences.

Reported (docs/rubric-report.md, and the README): Spearman, quadratic-weighted kappa, exact and
within-one agreement, per kind, on the frozen test split and by cross-validation grouped by
question on the training pool, beside two baselines: the first release's rule-based rubric and
answer length alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr
from sklearn.feature_selection import chi2
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score, confusion_matrix
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach import judgement as J  # noqa: E402
from coach.linear import LinearModel  # noqa: E402
from coach.sentences import lexical_matrix, scoped_ngrams  # noqa: E402

DATA = ROOT / "data" / "answers"
POOL_FILES = ("behavioural.jsonl", "system_design.jsonl", "technical.jsonl")
SPLIT_FILE = DATA / "SPLIT.json"
TEST_FIFTH = 5  # a pool question is in the test split when sha256(question_id) % 5 == 0
VOCAB_SIZE = 300
C_GRID = (0.1, 0.3, 1.0, 3.0)
OUT = ROOT / "coach" / "data" / J.MODEL_FILE
REPORT = ROOT / "docs" / "rubric-report.md"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def in_test(question_id: str) -> bool:
    return int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % TEST_FIFTH == 0


def load_split(freeze: bool) -> tuple[list[dict], list[dict]]:
    pool = [a for name in POOL_FILES if (DATA / name).exists() for a in read_jsonl(DATA / name)]
    holdout = read_jsonl(DATA / "holdout.jsonl") if (DATA / "holdout.jsonl").exists() else []
    test_pool = [a for a in pool if in_test(a["question_id"])]
    train = [a for a in pool if not in_test(a["question_id"])]
    test = holdout + test_pool
    frozen = {
        "method": f"holdout.jsonl whole, plus pool questions with sha256(question_id) % {TEST_FIFTH} == 0",
        "files": {name: sha256_file(DATA / name) for name in ("holdout.jsonl", *POOL_FILES) if (DATA / name).exists()},
        "test_answers_sha256": hashlib.sha256(json.dumps(sorted(a["id"] + a["answer"] for a in test)).encode()).hexdigest(),
        "test_questions": sorted({a["question_id"] for a in test}),
        "n_test": len(test), "n_train": len(train),
    }
    if freeze:
        SPLIT_FILE.write_text(json.dumps(frozen, indent=2) + "\n", encoding="utf-8")
        print(f"froze the test split: {len(test)} answers on {len(frozen['test_questions'])} questions")
    saved = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))
    if saved["test_answers_sha256"] != frozen["test_answers_sha256"]:
        sys.exit("the test split changed since it was frozen (data/answers/SPLIT.json): refusing to fit. "
                 "A new test split needs --freeze and a note in the README.")
    return train, test


class Embeddings:
    """Sentence vectors from the shipped MiniLM, cached by text for the run."""

    def __init__(self) -> None:
        from coach.storage import open_db  # noqa: F401 - resolves the data directory
        from models.datadir import models_dir
        from models.loader import load_embedder
        from models.store import ModelStore

        self.embedder = load_embedder(ModelStore(models_dir=models_dir()))
        self.cache: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        return self(texts)

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        for start in range(0, len(missing), 64):
            chunk = missing[start:start + 64]
            for text, vector in zip(chunk, self.embedder.embed(chunk)):
                self.cache[text] = vector
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)


def fit_vocabulary(texts: list[str], labels: list[str], size: int = VOCAB_SIZE) -> dict[str, int]:
    """The terms that best tell the labels apart (chi2), among those in at least three texts."""
    df = Counter(term for text in texts for term in scoped_ngrams(text))
    terms = sorted(t for t, n in df.items() if n >= 3)
    if not terms:
        return {}
    index = {t: i for i, t in enumerate(terms)}
    x = np.zeros((len(texts), len(terms)), dtype=np.float32)
    for row, text in enumerate(texts):
        for term in scoped_ngrams(text):
            if term in index:
                x[row, index[term]] = 1
    scores, _ = chi2(x, labels)
    best = np.argsort(-np.nan_to_num(scores))[:size]
    return {terms[i]: n for n, i in enumerate(sorted(best))}


def fit_classifier(texts: list[str], labels: list[str], groups: list[str], embed: Embeddings | None,
                   name: str, given_c: float | None = None) -> tuple[dict, dict]:
    """Logistic regression over (embedding +) lexical features; C chosen by grouped CV unless given.
    Returns the model and a report."""
    vocabulary = fit_vocabulary(texts, labels)
    x = lexical_matrix(texts, vocabulary)
    if embed is not None:
        x = np.hstack([embed(texts), x])
    y = np.array(labels)
    folds = GroupKFold(n_splits=min(5, len(set(groups))))
    best = None
    if given_c is not None:  # a cross-fitting fold: C was chosen already, no need to validate it again
        best = (given_c, float("nan"), y)
    classes_sorted = sorted(set(labels))
    for c in ([] if given_c is not None else C_GRID):
        predicted = np.empty(len(y), dtype=object)
        probabilities = np.zeros((len(y), len(classes_sorted)))
        for tr, te in folds.split(x, y, groups):
            clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
            clf.fit(x[tr], y[tr])
            predicted[te] = clf.predict(x[te])
            fold_probs = clf.predict_proba(x[te])
            for j, k in enumerate(clf.classes_):
                probabilities[te, classes_sorted.index(k)] = fold_probs[:, j]
        accuracy = float(np.mean(predicted == y))
        if best is None or accuracy > best[1]:
            best = (c, accuracy, predicted, probabilities)
    c, accuracy, predicted = best[:3]
    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, y)
    classes = [str(k) for k in clf.classes_]
    coef, intercept = clf.coef_, clf.intercept_
    if len(classes) == 2:  # sklearn keeps one row for two classes; the runtime's softmax wants two
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
    model = {"classes": classes, "coef": np.round(coef, 5).tolist(), "intercept": np.round(intercept, 5).tolist(),
             "vocabulary": vocabulary, "uses_embedding": embed is not None}
    report = {"name": name, "C": c, "cv_accuracy": round(accuracy, 3), "n": len(y), "classes": classes,
              "confusion": confusion_matrix(y, predicted, labels=classes).tolist(),
              "cv_probabilities": best[3] if len(best) > 3 else None, "labels": labels}
    print(f"  {name}: grouped-CV accuracy {accuracy:.3f} (C={c}, n={len(y)})")
    return model, report


def flag_precision(report: dict) -> dict:
    """Sentence-level precision and recall of the red-flag classifier at a few probabilities (grouped CV)."""
    classes, probs = report["classes"], report["cv_probabilities"]
    flags = [i for i, k in enumerate(classes) if k not in ("none", "to_grader")]
    best = probs[:, flags].max(axis=1)
    truth = np.array([label not in ("none", "to_grader") for label in report["labels"]])
    out = {}
    for t in (0.5, 0.7, 0.9, 0.95):
        shown = best >= t
        out[f"at {t}"] = {"precision": round(float(truth[shown].mean()), 3) if shown.any() else None,
                          "recall": round(float(shown[truth].mean()), 3)}
    return out


def relevance_floor(train: list[dict], rows: list[dict[str, float]]) -> dict[str, float] | None:
    """The 1st percentile, over training answers graded 2 or more, of each relevance feature: an answer at or
    below all of them is less on topic than (almost) any real answer. None when that floor is zero everywhere
    (the lexical features cannot tell an off-topic answer from a terse one)."""
    on_topic = [r for a, r in zip(train, rows) if a["grade"] >= 2]
    floor = {name: round(float(np.percentile([r[name] for r in on_topic], 1)), 4) for name in J.GATE_FEATURES}
    if floor["question_similarity"] <= 0 and floor["competency_similarity"] <= 0:
        return None
    return floor


def cap_threshold(train: list[dict], expected: list[float], bottom: list[float], red_flag: list[float]
                  ) -> tuple[float | None, float]:
    """The flag probability above which a red flag caps the grade at 2 (docs/grading-guide.md): the one that
    agrees best with the graders on the training answers (grouped-CV predictions, quadratic kappa); None when
    capping at no threshold does better than never capping."""
    grades = [a["grade"] for a in train]

    def kappa(threshold: float | None) -> float:
        overall = [J.decide(e, b, threshold is not None and f >= threshold) for e, b, f in zip(expected, bottom, red_flag)]
        return float(cohen_kappa_score(grades, overall, weights="quadratic"))

    candidates: list[float | None] = [None, *[round(float(t), 2) for t in np.arange(0.5, 1.0, 0.05)]]
    scored = [(kappa(t), t) for t in candidates]
    best_kappa = max(k for k, _ in scored)
    # Ties go to not capping: a cap the data cannot tell from none is not worth its false flags.
    return next(t for k, t in scored if k == best_kappa), round(best_kappa, 3)


def linear(model: dict) -> LinearModel:
    return LinearModel.from_dict(model)


def role_data(answers: list[dict], kind: str) -> tuple[list[str], list[str], list[str]]:
    rows = [(s["text"], s["role"], a["question_id"]) for a in answers if a["kind"] == kind for s in a["sentences"]]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def flag_data(answers: list[dict]) -> tuple[list[str], list[str], list[str]]:
    """Labelled flag sentences, plus every sentence of pool answers with no flag as "none"."""
    rows = [(r["text"], r["label"], r["group"]) for r in read_jsonl(DATA / "flag_sentences.jsonl")]
    for a in answers:
        if not a["red_flags"] and a["variant"] != "to_grader":
            rows += [(s["text"], "none", a["question_id"]) for s in a["sentences"]]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def kind_data(answers: list[dict]) -> tuple[list[str], list[str], list[str]]:
    from coach.questions import load_bank

    rows = {q.text: (q.kind, q.id) for q in load_bank()}
    rows.update({a["question"]: (a["kind"], a["question_id"]) for a in answers})
    return list(rows), [k for k, _ in rows.values()], [g for _, g in rows.values()]


def features_of(answers: list[dict], roles: dict[str, LinearModel], flags: LinearModel,
                embedder: Embeddings | None) -> list[dict[str, float]]:
    return [J.analyse(a["answer"], question=a["question"], competency=a["cluster"], kind=a["kind"],
                      embedder=embedder, role_model=roles[a["kind"]], flag_model=flags).features for a in answers]


def cross_fitted_features(train: list[dict], embed: Embeddings | None, cs: dict[str, float]) -> list[dict[str, float]]:
    """Each training answer's features from sentence models that never saw its question (C as chosen on all)."""
    groups = [a["question_id"] for a in train]
    out: list[dict[str, float]] = [{}] * len(train)
    for tr, te in GroupKFold(n_splits=5).split(train, groups=groups):
        fold = [train[i] for i in tr]
        roles = {k: linear(fit_classifier(*role_data(fold, k), embed, f"fold roles {k}", cs[k])[0]) for k in J.KINDS}
        flags = linear(fit_classifier(*flag_data(fold), embed, "fold flags", cs["flags"])[0])
        for i, feats in zip(te, features_of([train[i] for i in te], roles, flags, embed)):
            out[i] = feats
    return out


def fit_grade(rows: list[dict[str, float]], grades: list[int], groups: list[str], kind: str
              ) -> tuple[dict, np.ndarray, np.ndarray]:
    """Multinomial logistic regression over standardised answer features (C by grouped CV), and beside it a
    binary one for the bottom of the scale (a 1: no answer worth credit). Returns the fitted pair and the
    grouped-CV expected grades and bottom probabilities of the training answers."""
    names = J.feature_names(kind)
    x = np.array([[r[n] for n in names] for r in rows], dtype=np.float32)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    y = np.array(grades)
    folds = list(GroupKFold(n_splits=min(5, len(set(groups)))).split(z, y, groups))
    best = None
    for c in C_GRID:
        expected, bottom = np.zeros(len(y)), np.zeros(len(y))
        for tr, te in folds:
            clf = LogisticRegression(C=c, max_iter=5000).fit(z[tr], y[tr])
            expected[te] = clf.predict_proba(z[te]) @ clf.classes_
            # No class weights: the bottom probability stays calibrated, so 0.5 means "more likely than not".
            floor = LogisticRegression(C=c, max_iter=5000).fit(z[tr], y[tr] == 1)
            bottom[te] = floor.predict_proba(z[te])[:, 1]
        rho = spearmanr(expected, y).statistic
        if best is None or rho > best[1]:
            best = (c, rho, expected, bottom)
    c, _, expected, bottom = best
    clf = LogisticRegression(C=c, max_iter=5000).fit(z, y)
    floor = LogisticRegression(C=c, max_iter=5000).fit(z, y == 1)
    model = {"classes": [str(k) for k in clf.classes_], "coef": np.round(clf.coef_, 5).tolist(),
             "intercept": np.round(clf.intercept_, 5).tolist(), "vocabulary": {}, "uses_embedding": False}
    bottom_model = {"classes": ["answer", "bottom"], "coef": np.round(np.vstack([-floor.coef_ / 2, floor.coef_ / 2]), 5
                                                                      ).tolist(),
                    "intercept": np.round([-floor.intercept_[0] / 2, floor.intercept_[0] / 2], 5).tolist(),
                    "vocabulary": {}, "uses_embedding": False}
    return {"model": model, "bottom": bottom_model, "features": names, "mean": np.round(mean, 6).tolist(),
            "scale": np.round(scale, 6).tolist(), "C": c}, expected, bottom


def metrics(predicted: list[float], grades: list[int], overall: list[int] | None = None) -> dict[str, float]:
    """Spearman of the continuous prediction; agreement of the overall grade as shipped (or the rounded one)."""
    rounded = np.array(overall) if overall is not None else np.clip(np.rint(predicted), 1, 5).astype(int)
    y = np.array(grades)
    return {"n": len(y), "spearman": round(float(spearmanr(predicted, y).statistic), 3),
            "qwk": round(float(cohen_kappa_score(y, rounded, weights="quadratic")), 3),
            "exact": round(float(np.mean(rounded == y)), 3), "within_one": round(float(np.mean(abs(rounded - y) <= 1)), 3)}


def by_kind(answers: list[dict], predicted: list[float], overall: list[int] | None = None) -> dict[str, dict]:
    out = {"all": metrics(predicted, [a["grade"] for a in answers], overall)}
    for kind in J.KINDS:
        idx = [i for i, a in enumerate(answers) if a["kind"] == kind]
        if len(idx) > 2:
            out[kind] = metrics([predicted[i] for i in idx], [answers[i]["grade"] for i in idx],
                                None if overall is None else [overall[i] for i in idx])
    return out


def baselines(answers: list[dict]) -> dict[str, dict]:
    """The first release's rule-based rubric (from git history), on the same answers."""
    from first_release import load

    rubric_v1 = load("coach/rubric.py")

    v1 = [float(rubric_v1.score_answer(a["answer"], question=a["question"], competency=a["cluster"]).overall)
          for a in answers]
    return {"rubric v1 (rules, lexical)": by_kind(answers, v1)}


def length_baseline(train: list[dict], test: list[dict]) -> dict[str, dict]:
    """A grade from the answer's length alone (log words, one logistic regression fitted on the training answers)."""
    def x(rows: list[dict]) -> np.ndarray:
        return np.log1p([[len(a["answer"].split())] for a in rows])

    clf = LogisticRegression(max_iter=2000).fit(x(train), [a["grade"] for a in train])
    expected = list(clf.predict_proba(x(test)) @ clf.classes_)
    return by_kind(test, expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--freeze", action="store_true", help="freeze the test split (once, before any fit)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "scripts"))
    train, test = load_split(args.freeze)
    print(f"train {len(train)} answers, test {len(test)} (frozen)")
    embed = Embeddings()
    out: dict = {"version": time.strftime("%Y.%m.%d"), "flag_threshold": {}, "off_topic_gate": {},
                 "roles": defaultdict(dict),
                 "flags": {}, "kind": {}, "grade": defaultdict(dict)}
    report: dict = {"classifiers": [], "grade": {}, "data": {"train": len(train), "test": len(test)}}
    for mode, vectors in (("hybrid", embed), ("lexical", None)):
        print(f"[{mode}]")
        roles, cs = {}, {}
        for kind in J.KINDS:
            model, rep = fit_classifier(*role_data(train, kind), vectors, f"{mode} roles {kind}")
            out["roles"][kind][mode] = model
            roles[kind], cs[kind] = linear(model), rep["C"]
            report["classifiers"].append(rep)
        model, rep = fit_classifier(*flag_data(train), vectors, f"{mode} flags")
        out["flags"][mode], flags, cs["flags"] = model, linear(model), rep["C"]
        report[f"{mode} flag precision"] = flag_precision(rep)
        print(f"  {mode} flag precision: {report[f'{mode} flag precision']}")
        report["classifiers"].append(rep)
        model, rep = fit_classifier(*kind_data(train), vectors, f"{mode} question kind")
        out["kind"][mode] = model
        report["classifiers"].append(rep)
        train_rows = cross_fitted_features(train, vectors, cs)
        test_rows = features_of(test, roles, flags, vectors)
        cv_pred: list[float] = [0.0] * len(train)
        test_pred: list[float] = [0.0] * len(test)
        cv_bottom: list[float] = [0.0] * len(train)
        test_bottom: list[float] = [0.0] * len(test)
        for kind in J.KINDS:
            idx = [i for i, a in enumerate(train) if a["kind"] == kind]
            fitted, expected, bottom = fit_grade([train_rows[i] for i in idx], [train[i]["grade"] for i in idx],
                                                 [train[i]["question_id"] for i in idx], kind)
            out["grade"][kind][mode] = fitted
            for i, value, low in zip(idx, expected, bottom):
                cv_pred[i], cv_bottom[i] = float(value), float(low)
            model, bottom_model = linear(fitted["model"]), linear(fitted["bottom"])
            for i, a in enumerate(test):
                if a["kind"] == kind:
                    x = (np.array([test_rows[i][n] for n in fitted["features"]]) - fitted["mean"]) / fitted["scale"]
                    x = x[None, :].astype(np.float32)
                    test_pred[i] = float(model.proba(x)[0] @ np.array([float(c) for c in model.classes]))
                    test_bottom[i] = float(bottom_model.proba(x)[0][1])
        gate = relevance_floor(train, train_rows)
        out["off_topic_gate"][mode] = gate
        report[f"{mode} off-topic gate"] = {
            "floor": gate, "on-topic training answers it catches": round(float(np.mean(
                [J.off_topic(r, gate) for a, r in zip(train, train_rows) if a["grade"] >= 2])), 3),
            "test answers it catches, by grade": dict(Counter(a["grade"] for a, r in zip(test, test_rows)
                                                              if J.off_topic(r, gate)))}
        print(f"  {mode} off-topic gate: {report[f'{mode} off-topic gate']}")
        threshold, kappa = cap_threshold(train, cv_pred, cv_bottom, [r["red_flag"] for r in train_rows])
        out["flag_threshold"][mode] = threshold
        report[f"{mode} red-flag cap"] = {"threshold": threshold, "train CV kappa": kappa}
        print(f"  {mode} red-flag cap threshold: {threshold} (train CV kappa {kappa})")
        cv_overall = [J.decide(e, b, threshold is not None and r["red_flag"] >= threshold, off=J.off_topic(r, gate))
                      for e, b, r in zip(cv_pred, cv_bottom, train_rows)]
        test_overall = [J.decide(e, b, threshold is not None and r["red_flag"] >= threshold, off=J.off_topic(r, gate))
                        for e, b, r in zip(test_pred, test_bottom, test_rows)]
        report["grade"][mode] = {"cross-validated (grouped by question, train)": by_kind(train, cv_pred, cv_overall),
                                 "frozen test split": by_kind(test, test_pred, test_overall)}
    report["baselines (frozen test split)"] = {**baselines(test), "length only (fitted)": length_baseline(train, test)}
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    for rep in report["classifiers"]:
        rep.pop("cv_probabilities", None)
        rep.pop("labels", None)
    (ROOT / "docs" / "rubric-report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    write_markdown(report)
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KB) and {REPORT.relative_to(ROOT)}")


def write_markdown(report: dict) -> None:
    lines = ["# Rubric: fitted and checked", "", "Made by `scripts/fit_rubric.py`; do not edit by hand.", "",
             f"Training answers: {report['data']['train']}; frozen test answers: {report['data']['test']}.", "",
             "| mode | data | kind | n | Spearman | QWK | exact | within one |", "|---|---|---|---|---|---|---|---|"]
    for mode, sets in report["grade"].items():
        for name, kinds in sets.items():
            for kind, m in kinds.items():
                lines.append(f"| {mode} | {name} | {kind} | {m['n']} | {m['spearman']} | {m['qwk']} | {m['exact']} | "
                             f"{m['within_one']} |")
    for name, kinds in report["baselines (frozen test split)"].items():
        for kind, m in kinds.items():
            lines.append(f"| baseline: {name} | frozen test split | {kind} | {m['n']} | {m['spearman']} | {m['qwk']} | "
                         f"{m['exact']} | {m['within_one']} |")
    for mode in ("hybrid", "lexical"):
        lines += ["", f"Red flags ({mode}): sentence-level precision and recall by grouped CV "
                  f"{report.get(f'{mode} flag precision')}; the cap at 2 applies from "
                  f"{report.get(f'{mode} red-flag cap')}"]
    lines += ["", "## Sentence classifiers (accuracy by cross-validation grouped by question or paraphrase group)", "",
              "| classifier | n | accuracy | C |", "|---|---|---|---|"]
    lines += [f"| {r['name']} | {r['n']} | {r['cv_accuracy']} | {r['C']} |" for r in report["classifiers"]]
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
