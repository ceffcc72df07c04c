"""Role flavor and level of a JD, from classifiers fitted on real postings (`scripts/fit_decode.py`).

The decode's own readings are the features: the weight of each competency cluster, the years
asked, the level the text names, the lead/define/drive and contribute/support/learn signals of
seed 000, a fitted vocabulary of the body (how often each term occurs: emphasis), the title
when there is one. The text's embedding is a feature the fit may choose (`uses_embedding`); no shipped model
uses it (README: it cost 125 ms of the decode's budget for +0.006). The weights are data
(`coach/data/decode_model.json`); this module applies them with numpy and returns probabilities,
not a bare label, so that a close call can be shown as one.
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

from coach.linear import LinearModel
from coach.sentences import bag, term_counts
from models.embeddings import Embedder

MODEL_FILE = "decode_model.json"
LEVELS = ("L4", "L5", "Staff")
EXPLICIT = ("L4", "L5", "Staff")
@dataclass(frozen=True, slots=True)
class Readings:
    """What the decode measured, before any call is made: the classifiers' numeric inputs.

    Seed 000's own rules are among them: each cluster's affinity to each flavor (the taxonomy)
    and the flavor phrases found, and the level the lead/define/drive rules would give. The
    fit learns how far to trust each."""

    cluster_weights: dict[str, float]
    years: int | None
    explicit_level: str | None
    signals: dict[str, float]  # staff / senior / junior totals
    affinity: dict[str, float]  # sum of cluster weight x the taxonomy's flavor affinity, normalised
    phrases: dict[str, float]  # flavor phrases found, normalised
    rule_level: str | None

    def numeric(self, cluster_ids: list[str], flavors: list[str], has_title: bool) -> np.ndarray:
        total = sum(self.cluster_weights.values())
        shares = [self.cluster_weights.get(c, 0.0) / total if total else 0.0 for c in cluster_ids]
        years = self.years
        return np.array(shares + [self.affinity.get(f, 0.0) for f in flavors]
                        + [self.phrases.get(f, 0.0) for f in flavors] + [
            math.log1p(total) / 3,
            float(years is not None), (years or 0) / 10, float((years or 0) >= 5), float((years or 0) >= 8),
            *[float(self.explicit_level == level) for level in EXPLICIT],
            *[math.log1p(self.signals.get(k, 0.0)) / 2 for k in ("staff", "senior", "junior")],
            *[float(self.rule_level == level) for level in LEVELS],
            float(has_title),
        ], dtype=np.float32)


NUMERIC_NAMES_TAIL = ("total_weight", "has_years", "years", "years_5plus", "years_8plus", "names_L4", "names_L5",
                      "names_Staff", "staff_signals", "senior_signals", "junior_signals", "rules_say_L4",
                      "rules_say_L5", "rules_say_Staff", "has_title")


@dataclass(frozen=True, slots=True)
class RoleModel:
    target: str  # "flavor" or "level"
    mode: str  # "hybrid" or "lexical"
    linear: LinearModel
    vocabulary: dict[str, int]
    title_vocabulary: dict[str, int]
    cluster_ids: list[str]
    flavors: list[str]
    uses_embedding: bool

    def features(self, body: str, title: str | None, readings: Readings, vector: np.ndarray | None) -> np.ndarray:
        parts = [readings.numeric(self.cluster_ids, self.flavors, title is not None),
                 term_counts([body], self.vocabulary)[0],
                 bag([title or ""], self.title_vocabulary)[0] * float(title is not None)]
        if self.uses_embedding:
            assert vector is not None
            parts.insert(0, vector.astype(np.float32))
        return np.concatenate(parts)

    def names(self) -> list[str]:
        names = ([f"embedding[{i}]" for i in range(384)] if self.uses_embedding else [])
        names += [f"cluster:{c}" for c in self.cluster_ids] + [f"affinity:{f}" for f in self.flavors]
        names += [f"phrases:{f}" for f in self.flavors] + list(NUMERIC_NAMES_TAIL)
        names += sorted(self.vocabulary, key=self.vocabulary.get) + [
            f"title:{t}" for t in sorted(self.title_vocabulary, key=self.title_vocabulary.get)]
        return names


@dataclass(frozen=True, slots=True)
class Call:
    """A classifier's call: the probabilities and the features that pushed the winner most."""

    value: str
    probabilities: dict[str, float]
    drivers: list[tuple[str, float]]  # (feature name, contribution to the winner's logit), strongest first


@cache
def load_models() -> dict[tuple[str, str], RoleModel]:
    data = json.loads(resources.files("coach.data").joinpath(MODEL_FILE).read_text(encoding="utf-8"))
    return {(m["target"], m["mode"]): model_from_dict(m) for m in data["models"]}


def model_from_dict(m: dict[str, Any]) -> RoleModel:
    return RoleModel(m["target"], m["mode"], LinearModel.from_dict(m["linear"]), m["vocabulary"],
                     m["title_vocabulary"], m["cluster_ids"], m["flavors"], m["uses_embedding"])


def body_vector(body: str, embedder: Embedder | None) -> np.ndarray | None:
    return None if embedder is None else embedder.embed([body[:3000]])[0]


def call(model: RoleModel, body: str, title: str | None, readings: Readings, vector: np.ndarray | None) -> Call:
    x = model.features(body, title, readings, vector)
    probs = model.linear.proba(x[None, :])[0]
    best = int(np.argmax(probs))
    contributions = model.linear.coef[best] * x
    if model.linear.coef.shape[0] > 1:
        contributions = contributions - (model.linear.coef * x).mean(axis=0)
    names = model.names()
    order = np.argsort(-contributions)
    drivers = [(names[i], float(contributions[i])) for i in order[:12]
               if contributions[i] > 0 and not names[i].startswith("embedding[")][:6]
    return Call(model.linear.classes[best], {c: round(float(p), 3) for c, p in zip(model.linear.classes, probs)},
                drivers)


def classify(body: str, title: str | None, readings: Readings, embedder: Embedder | None) -> tuple[Call, Call]:
    """(flavor call, level call) with the shipped models, hybrid when the embedder is loaded."""
    mode = "hybrid" if embedder is not None else "lexical"
    flavor_model, level_model = load_models()[("flavor", mode)], load_models()[("level", mode)]
    vector = body_vector(body, embedder) if flavor_model.uses_embedding or level_model.uses_embedding else None
    return call(flavor_model, body, title, readings, vector), call(level_model, body, title, readings, vector)


def term_span(text: str, term: str) -> tuple[int, int] | None:
    """Where a vocabulary term (a word or two, numbers normalised) first occurs in the text."""
    words = [re.escape(w) if not w.startswith("<") else r"\$?\d[\d.,]*%?" for w in term.split()]
    match = re.search(r"\b" + r"\W+".join(words) + r"\b", text, re.IGNORECASE)
    return None if match is None else (match.start(), match.end())
