"""The rubric's fitted parts: sentence roles, red-flag sentences, question kinds and the overall grade.

Weights are data (`coach/data/rubric_model.json`), made by `scripts/fit_rubric.py` from the
graded answers in `data/answers/`; this module only applies them (numpy, no scikit-learn at
run time). Each classifier exists twice: *hybrid* (sentence embedding + lexical features)
when the embedder is loaded, *lexical* when it is not, so the score never depends on the
language model and still works without the embedder.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from coach.decode import keyword_matchers, semantic_index
from coach.linear import LinearModel
from coach.sentences import Sentence, numbers_in, shape, split_sentences
from coach.taxonomy import load_taxonomy
from models.embeddings import Embedder

KINDS = ("behavioural", "system_design", "technical")
# The criteria a rubric of each kind scores: sentence roles from the grading guide (docs/grading-guide.md).
ROLES: dict[str, tuple[str, ...]] = {
    "behavioural": ("situation", "task", "action", "result", "reflection", "other"),
    "system_design": ("requirement", "component", "tradeoff", "risk", "measurement", "other"),
    "technical": ("concept", "depth", "tradeoff", "example", "other"),
}
FLAGS = ("sensitive_data", "broad_permissions", "accuracy_guarantee", "dismiss_eval", "rag_access_control", "to_grader")
FLAG_LABELS = {
    "sensitive_data": "stores or reuses sensitive user data without controls",
    "broad_permissions": "gives a model or agent broad permissions without validation",
    "accuracy_guarantee": "claims unrealistic accuracy for a probabilistic system",
    "dismiss_eval": "dismisses testing or evaluation",
    "rag_access_control": "minimises access control in retrieval",
    "to_grader": "talks to the grader instead of answering",
}
MODEL_FILE = "rubric_model.json"


@dataclass(frozen=True, slots=True)
class FittedRubric:
    version: str
    roles: dict[str, dict[str, LinearModel]]  # kind -> mode -> model
    flags: dict[str, LinearModel]  # mode -> model
    kind: dict[str, LinearModel]  # mode -> model
    grade: dict[str, dict[str, dict[str, Any]]]  # kind -> mode -> {"model": LinearModel, "features": [...]}
    # mode -> the probability at which a red flag is certain enough to cap a grade (fitted for precision), or
    # None where no probability is: flags are then shown as possible and weigh only through the grade model.
    flag_threshold: dict[str, float | None]
    off_topic_gate: dict[str, dict[str, float] | None]  # mode -> relevance floor (see off_topic)


@cache
def load_fitted() -> FittedRubric:
    data = json.loads(resources.files("coach.data").joinpath(MODEL_FILE).read_text(encoding="utf-8"))
    roles = {k: {m: LinearModel.from_dict(v) for m, v in modes.items()} for k, modes in data["roles"].items()}
    grade = {k: {m: {"model": LinearModel.from_dict(v["model"]), "bottom": LinearModel.from_dict(v["bottom"]),
                     "features": v["features"],
                     "mean": np.asarray(v["mean"], np.float32), "scale": np.asarray(v["scale"], np.float32)}
                 for m, v in modes.items()} for k, modes in data["grade"].items()}
    return FittedRubric(
        version=data["version"], roles=roles,
        flags={m: LinearModel.from_dict(v) for m, v in data["flags"].items()},
        kind={m: LinearModel.from_dict(v) for m, v in data["kind"].items()},
        grade=grade, flag_threshold={m: (None if t is None else float(t)) for m, t in data["flag_threshold"].items()},
        off_topic_gate=data.get("off_topic_gate", {}),
    )


def mode_of(embedder: Embedder | None) -> str:
    return "hybrid" if embedder is not None else "lexical"


def embed(texts: list[str], embedder: Embedder | None) -> np.ndarray | None:
    if embedder is None or not texts:
        return None
    return embedder.embed(texts)


def classify_kind(question: str, embedder: Embedder | None) -> tuple[str, float]:
    """A free-text question's kind (behavioural, system design, technical) and its probability."""
    model = load_fitted().kind[mode_of(embedder)]
    probs = model.proba(model.features([question], embed([question], embedder)))[0]
    best = int(np.argmax(probs))
    return model.classes[best], float(probs[best])


@dataclass(slots=True)
class Analysis:
    kind: str
    mode: str
    sentences: list[Sentence]  # what is scored (sentences addressed to the grader are set aside)
    role_probs: np.ndarray
    flag_probs: np.ndarray
    to_grader: list[Sentence]
    features: dict[str, float]


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def relevance(answer: str, question: str, competency: str, embedder: Embedder | None,
              vectors: np.ndarray | None = None) -> tuple[float, float, int]:
    """(similarity to the question, similarity to the competency, named tools): embedding cosines, or
    word overlap and keyword hits when there is no embedder. With the embedder, `vectors` are the answer's
    and the question's, already embedded (see `analyse`)."""
    taxonomy = load_taxonomy()
    matcher, _ = keyword_matchers(taxonomy)
    hits = matcher.find(answer, 0, len(answer))
    tools = len({term.lower() for _, _, _, term in hits})
    if embedder is None:
        question_words = {w for w in re.findall(r"[a-z]{4,}", question.lower())} - _STOP
        overlap = question_words & set(re.findall(r"[a-z]{4,}", answer.lower()))
        own = len({term.lower() for cid, _, _, term in hits if cid == competency})
        return len(overlap) / max(len(question_words), 1), min(own / 3, 1.0), tools
    position = [c.id for c in taxonomy.clusters].index(competency)
    if vectors is None:
        raise ValueError("relevance with the embedder takes the answer's and the question's vectors")
    answer_vector, question_vector = vectors
    competency_sim = float(semantic_index(taxonomy, embedder).similarities(answer_vector[None, :])[0, position])
    return float(answer_vector @ question_vector), competency_sim, tools


_STOP = {"tell", "about", "time", "when", "what", "your", "that", "with", "this", "have", "would", "how", "which",
         "describe", "explain", "walk", "through", "design", "from", "they", "them", "were", "there", "their"}


def analyse(answer: str, *, question: str, competency: str, kind: str, embedder: Embedder | None,
            role_model: LinearModel | None = None, flag_model: LinearModel | None = None) -> Analysis:
    """Split, classify every sentence, set aside what talks to the grader, and summarise for the grade model.

    The fitting script passes its own (cross-fitted) models; the app uses the shipped ones."""
    mode = mode_of(embedder)
    fitted = None if role_model is not None and flag_model is not None else load_fitted()
    role_model = role_model or fitted.roles[kind][mode]  # type: ignore[union-attr]
    flag_model = flag_model or fitted.flags[mode]  # type: ignore[union-attr]
    sentences = split_sentences(answer)
    texts = [s.text for s in sentences]
    # One call for the sentences and the question. The answer's own vector is the mean of its sentences'
    # (the relevance features below): embedding the whole answer again cost as much as all its sentences.
    everything = embed([*texts, question], embedder) if texts else None
    vectors = None if everything is None else everything[: len(texts)]
    flag_probs = _ordered(flag_model, texts, vectors, (*FLAGS, "none"))
    grader = FLAGS.index("to_grader")
    keep = [i for i in range(len(sentences)) if flag_probs[i, grader] < 0.5]
    to_grader = [sentences[i] for i in range(len(sentences)) if i not in keep]
    sentences = [sentences[i] for i in keep]
    flag_probs = flag_probs[keep]
    texts = [s.text for s in sentences]
    vectors = None if vectors is None else vectors[keep]
    role_probs = _ordered(role_model, texts, vectors, ROLES[kind])
    scored = " ".join(texts)
    q_sim, c_sim, tools = 0.0, 0.0, 0
    if texts:
        pair = None if vectors is None else np.stack([_unit(vectors.mean(axis=0)), everything[-1]])  # type: ignore[index]
        q_sim, c_sim, tools = relevance(scored, question, competency, embedder, pair)
    features = answer_features(kind, texts, role_probs, flag_probs, question_similarity=q_sim,
                               competency_similarity=c_sim, tool_terms=tools)
    return Analysis(kind, mode, sentences, role_probs, flag_probs, to_grader, features)


def _ordered(model: LinearModel, texts: list[str], vectors: np.ndarray | None, order: tuple[str, ...]) -> np.ndarray:
    if not texts:
        return np.zeros((0, len(order)), dtype=np.float32)
    probs = model.proba(model.features(texts, vectors))
    return probs[:, [model.classes.index(c) for c in order]]


def answer_features(kind: str, sentences: list[str], role_probs: np.ndarray, flag_probs: np.ndarray, *,
                    question_similarity: float, competency_similarity: float, tool_terms: int) -> dict[str, float]:
    """What the grade model reads: order-free summaries of an answer's sentences, named for the rationale."""
    features: dict[str, float] = {}
    roles = ROLES[kind]
    if not sentences:
        return {name: 0.0 for name in feature_names(kind)}
    has_number = np.array([1.0 if numbers_in(s) else 0.0 for s in sentences], dtype=np.float32)
    for j, role in enumerate(roles):
        if role == "other":
            continue
        features[f"has_{role}"] = float(role_probs[:, j].max())
        features[f"amount_{role}"] = min(float(role_probs[:, j].sum()), 3.0) / 3.0
        features[f"measured_{role}"] = float((role_probs[:, j] * has_number).max())
    other = roles.index("other")
    features["share_other"] = float(role_probs[:, other].mean())
    shapes = np.stack([shape(s) for s in sentences])
    i_count, we_count = float(shapes[:, 3].sum()), float(shapes[:, 4].sum())
    features["ownership"] = i_count / (i_count + we_count + 1.0)
    features["numbers"] = math.log1p(sum(len(numbers_in(s)) for s in sentences)) / 3
    features["named_tools"] = math.log1p(tool_terms) / 3
    features["question_similarity"] = question_similarity
    features["competency_similarity"] = competency_similarity
    flags = flag_probs[:, : len(FLAGS) - 1]
    features["red_flag"] = float(flags.max()) if len(flags) else 0.0
    return features


def feature_names(kind: str) -> list[str]:
    names = [f"{p}_{r}" for r in ROLES[kind] if r != "other" for p in ("has", "amount", "measured")]
    # No length feature: the grading guide says length is not quality, and a long vague answer is a 2.
    return names + ["share_other", "ownership", "numbers", "named_tools", "question_similarity",
                    "competency_similarity", "red_flag"]


BOTTOM = 0.5  # the bottom model is more sure than not that this is a 1: it is one (a non-answer, no praise)


GATE_FEATURES = ("question_similarity", "competency_similarity", "named_tools")


def off_topic(features: dict[str, float], gate: dict[str, float] | None) -> bool:
    """Below every on-topic answer the fit saw (its 1st percentile) on relevance to the question, to the
    competency and named tools: off topic, whatever its structure."""
    if not gate:
        return False
    return all(features[name] <= gate[name] for name in GATE_FEATURES)


def decide(expected: float, bottom: float, red_flag: bool, cap: int = 2, off: bool = False) -> int:
    """The overall grade from the fitted models' output: 1 when off topic or when the bottom model says a 1
    is more likely than not; else the expected grade rounded, no more than `cap` with a red flag
    (docs/grading-guide.md)."""
    if off or bottom >= BOTTOM:
        return 1
    overall = int(min(5, max(1, round(expected))))
    return min(overall, cap) if red_flag else overall


def predict_grade(kind: str, mode: str, features: dict[str, float]) -> tuple[float, dict[str, float], float]:
    """Expected grade (1-5, continuous), each feature's contribution to it (for the rationale), and the
    probability that the answer is at the bottom of the scale."""
    fitted = load_fitted().grade[kind][mode]
    model: LinearModel = fitted["model"]
    names: list[str] = fitted["features"]
    x = (np.array([features[n] for n in names], dtype=np.float32) - fitted["mean"]) / fitted["scale"]
    if model.classes:
        probs = model.proba(x[None, :])[0]
        grades = np.array([float(c) for c in model.classes], dtype=np.float32)
        value = float(probs @ grades)
        bottom = float(fitted["bottom"].proba(x[None, :])[0][1])
        # Contribution of a feature: how the expected grade moves when it is set to the training mean.
        contributions = {}
        for i, name in enumerate(names):
            held = x.copy()
            held[i] = 0.0
            contributions[name] = value - float(model.proba(held[None, :])[0] @ grades)
    else:
        value = float(model.predict_value(x[None, :])[0])
        contributions = {name: float(model.coef[i] * x[i]) for i, name in enumerate(names)}
        bottom = 0.0
    return float(np.clip(value, 1.0, 5.0)), contributions, bottom


def criterion_weights(kind: str, mode: str) -> dict[str, float]:
    """How much each criterion's presence lifts the fitted grade (top grade's weight minus the bottom's)."""
    fitted = load_fitted().grade[kind][mode]
    model: LinearModel = fitted["model"]
    names: list[str] = fitted["features"]
    coef = model.coef if model.coef.ndim == 2 else model.coef[None, :]
    spread = coef[-1] - coef[0] if coef.shape[0] > 1 else coef[0]
    out: dict[str, float] = {}
    for role in ROLES[kind]:
        if role != "other":
            out[role] = float(sum(spread[names.index(f"{p}_{role}")] for p in ("has", "amount", "measured")))
    return out
