"""Scoring an answer against a visible rubric for its question's kind. Deterministic: the model never decides.

A rubric per kind (docs/grading-guide.md, from seed 004's scorecards and seeds 000/002):
- behavioural: situation, task, personal actions, measured result, reflection; ownership;
- system design: requirements (with numbers), components and data flow, trade-offs defended,
  failure modes and risks, measurement and rollout;
- technical: correct concepts, depth (why), trade-offs, a concrete example.
Every sentence of the answer gets a role from a classifier fitted on labelled sentences; the
criteria are credited with the sentences that earned them. Red flags (seed 004) come from a
sentence classifier that knows negation ("we made sure it did *not* get admin access" is not a
flag); a flag caps the overall at 2 only above the fitted certainty threshold (`flag_threshold`, none in
the shipped model, so flags weigh on the grade without capping it). Sentences addressed to the grader are set aside, never scored.
The overall grade comes from a small model fitted on graded answers (`scripts/fit_rubric.py`);
the rationale lists the features that moved it and the sentences behind them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from coach import judgement as J
from coach.questions import load_bank
from coach.taxonomy import Taxonomy, load_taxonomy
from models.embeddings import Embedder
from models.errors import InputError

MAX_ANSWER_CHARS = 20_000
RED_FLAG_CAP = 2
PRESENT = 0.5  # a sentence is credited to the role its classifier gives at least this probability
POSSIBLE_FLAG = 0.5  # a red flag at least as likely as not is shown (as possible, unless the fit says certain)

CRITERIA: dict[str, dict[str, str]] = {
    "behavioural": {"situation": "Situation", "task": "Task (your goal)", "action": "Your actions",
                    "result": "Measured result", "reflection": "Reflection"},
    "system_design": {"requirement": "Requirements and constraints", "component": "Components and data flow",
                      "tradeoff": "Trade-offs, defended", "risk": "Failure modes and risks",
                      "measurement": "Measurement and rollout"},
    "technical": {"concept": "Correct concepts", "depth": "Depth (why, not only what)", "tradeoff": "Trade-offs",
                  "example": "A concrete example"},
}
# What each criterion asks of the answer, said as an instruction (the feedback's "what to sharpen").
INSTRUCTIONS = {
    "situation": "open with one sentence of context: the product, the stakes, when",
    "task": "say what you yourself were responsible for and what success looked like",
    "action": "say what you did, in the first person, step by step, with the decision you made at each step",
    "result": "end with the measured outcome: a before and after number, and what it changed",
    "reflection": "close with what you learned or would do differently next time",
    "requirement": "start from requirements with numbers: users or queries per second, a latency budget, data size",
    "component": "name the components and how data flows between them",
    "tradeoff": "name the trade-off you chose, the alternative you rejected, and why",
    "risk": "say how it fails (bad retrieval, injection, an outage) and what you do about each",
    "measurement": "say how you would measure it and roll it out: offline eval, canary, the metric that gates it",
    "concept": "state the core concept precisely before elaborating",
    "depth": "explain why it works, not only what it is",
    "example": "ground it in a concrete example from your own work, with a number",
}
FEATURE_LABELS = {"share_other": "sentences that answer nothing", "ownership": "ownership (I rather than we)",
                  "numbers": "numbers", "named_tools": "named tools and techniques",
                  "question_similarity": "relevance to the question",
                  "competency_similarity": "relevance to the competency", "red_flag": "a red flag"}


@dataclass(slots=True)
class Quote:
    text: str
    span: tuple[int, int]
    probability: float = 1.0


@dataclass(slots=True)
class Criterion:
    id: str
    label: str
    score: int  # 0 absent, 1 present, 2 present and specific (two sentences, or one with a number)
    evidence: list[Quote]


@dataclass(slots=True)
class RubricResult:
    competency: str
    competency_name: str
    question: str
    kind: str
    kind_source: str  # "bank", "given" or "classified (p=0.93)"
    category: str  # "answer", or "empty" / "non_answer": the bottom of the scale, no praise
    criteria: list[Criterion]
    specificity: dict[str, Any]
    level_signal: dict[str, Any]
    relevance: dict[str, Any]
    red_flags: list[dict[str, Any]]
    set_aside: list[Quote]  # sentences addressed to the grader: not scored
    expected: float  # the fitted model's expected grade, 1-5
    overall: int  # 1-5
    drivers: list[tuple[str, float]] = field(default_factory=list)
    rationale: list[str] = field(default_factory=list)
    mode: str = "lexical"
    rubric_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    @property
    def low_criteria(self) -> list[Criterion]:
        """Criteria scored below 2, weakest first, in the rubric's order within a score."""
        return sorted((c for c in self.criteria if c.score < 2), key=lambda c: c.score)


def validate_answer(answer: str) -> str:
    if not isinstance(answer, str):
        raise InputError("an answer must be text")
    if len(answer) > MAX_ANSWER_CHARS:
        raise InputError(f"that answer is {len(answer):,} characters; keep an answer under {MAX_ANSWER_CHARS:,}")
    return answer.replace("\x00", "")


def question_kind(question: str, embedder: Embedder | None, kind: str | None = None) -> tuple[str, str]:
    """The question's kind: given, the bank's, or classified from its text."""
    if kind is not None:
        if kind not in J.KINDS:
            raise InputError(f"no question kind '{kind}'", hint=f"one of: {', '.join(J.KINDS)}")
        return kind, "given"
    normalised = " ".join(question.split()).lower()
    for q in load_bank():
        if " ".join(q.text.split()).lower() == normalised:
            return q.kind, "bank"
    guessed, probability = J.classify_kind(question, embedder)
    return guessed, f"classified (p={probability:.2f})"


def _criteria(kind: str, analysis: J.Analysis) -> list[Criterion]:
    out = []
    roles = J.ROLES[kind]
    for criterion_id, label in CRITERIA[kind].items():
        j = roles.index(criterion_id)
        quotes = [Quote(s.text, (s.start, s.end), round(float(analysis.role_probs[i, j]), 3))
                  for i, s in enumerate(analysis.sentences) if analysis.role_probs[i, j] >= PRESENT]
        quotes.sort(key=lambda q: -q.probability)
        specific = len(quotes) >= 2 or any(re.search(r"\d", q.text) for q in quotes)
        out.append(Criterion(criterion_id, label, 0 if not quotes else 2 if specific else 1, quotes))
    return out


def _level(overall: int, category: str) -> dict[str, Any]:
    # Seed 000's "Leveling Signals" read off the fitted grade: a 5 shows Staff thinking, a 4 an L5 answer.
    if category != "answer":
        return {"value": None, "why": "no answer to read a level from"}
    value, why = {5: ("Staff", "sets direction or names what others had not, beyond a sound answer"),
                  4: ("L5", "scopes the problem, makes and defends trade-offs"),
                  3: ("L4", "solves a defined problem and explains the work"),
                  }.get(overall, ("below L4", "too thin to show a level yet"))
    return {"value": value, "why": why}


def score_answer(answer: str, *, question: str, competency: str, embedder: Embedder | None = None,
                 kind: str | None = None, taxonomy: Taxonomy | None = None) -> RubricResult:
    taxonomy = taxonomy or load_taxonomy()
    try:
        name = taxonomy.cluster(competency).name
    except KeyError:
        known = ", ".join(c.id for c in taxonomy.clusters)
        raise InputError(f"no competency '{competency}'", hint=f"one of: {known}") from None
    text = validate_answer(answer).strip()
    kind, kind_source = question_kind(question, embedder, kind)
    fitted = J.load_fitted()
    base = dict(competency=competency, competency_name=name, question=question, kind=kind, kind_source=kind_source,
                mode=J.mode_of(embedder), rubric_version=fitted.version)
    empty_criteria = [Criterion(c, label, 0, []) for c, label in CRITERIA[kind].items()]
    if not re.search(r"\w", text):
        return RubricResult(**base, category="empty", criteria=empty_criteria, specificity={"numbers": [], "tools": 0},
                            level_signal=_level(1, "empty"), relevance={}, red_flags=[], set_aside=[], expected=1.0,
                            overall=1, rationale=["No answer was given: nothing to score.", "Overall 1/5."])
    analysis = J.analyse(text, question=question, competency=competency, kind=kind, embedder=embedder)
    set_aside = [Quote(s.text, (s.start, s.end)) for s in analysis.to_grader]
    if not analysis.sentences:
        return RubricResult(**base, category="non_answer", criteria=empty_criteria,
                            specificity={"numbers": [], "tools": 0}, level_signal=_level(1, "non_answer"),
                            relevance={}, red_flags=[], set_aside=set_aside, expected=1.0, overall=1,
                            rationale=["Everything in it speaks to the grader rather than answering: nothing to score.",
                                       "Overall 1/5."])
    expected, contributions, bottom = J.predict_grade(kind, analysis.mode, analysis.features)
    certain = fitted.flag_threshold[analysis.mode]
    flags = _red_flags(analysis, POSSIBLE_FLAG, certain)
    capping = [f for f in flags if f["certain"]]
    off = J.off_topic(analysis.features, fitted.off_topic_gate.get(analysis.mode))
    overall = J.decide(expected, bottom, bool(capping), RED_FLAG_CAP, off)
    rationale = []
    if off:
        rationale.append(f"Off topic: less related to the question and to {name.lower()} than any answer on topic "
                         "the rubric was fitted on.")
    if capping and round(expected) > RED_FLAG_CAP:
        rationale.append(f"Capped at {RED_FLAG_CAP} by a red flag: {capping[0]['label']} (“{capping[0]['quote']}”).")
    for flag in (f for f in flags if not f["certain"]):
        rationale.append(f"Possible red flag ({flag['probability']:.0%}): {flag['label']} (“{flag['quote'][:100]}”); "
                         "it weighs on the grade, it does not cap it.")
    category = "answer" if overall > 1 else "non_answer"
    criteria = _criteria(kind, analysis)
    drivers = sorted(((_feature_label(n), round(v, 2)) for n, v in contributions.items() if abs(v) >= 0.05),
                     key=lambda kv: -abs(kv[1]))[:6]
    numbers = sorted({n for s in analysis.sentences for n in J.numbers_in(s.text)})
    lines = _rationale(kind, criteria, drivers, expected, overall, set_aside)
    rationale = lines[:-1] + rationale + lines[-1:]  # the overall stays the last line
    return RubricResult(
        **base, category=category, criteria=criteria,
        specificity={"numbers": numbers[:10], "tools": round(analysis.features["named_tools"], 3)},
        level_signal=_level(overall, category),
        relevance={"question_similarity": round(analysis.features["question_similarity"], 3),
                   "competency_similarity": round(analysis.features["competency_similarity"], 3),
                   "method": "embedding" if embedder is not None else "words and keywords"},
        red_flags=flags, set_aside=set_aside, expected=round(expected, 2), overall=overall, drivers=drivers,
        rationale=rationale,
    )


def _red_flags(analysis: J.Analysis, possible: float, certain: float | None) -> list[dict[str, Any]]:
    """Sentences the flag classifier gives at least `possible`; `certain` ones (when the fit found a threshold
    precise enough) cap the grade."""
    flags = []
    for i, sentence in enumerate(analysis.sentences):
        for j, flag in enumerate(J.FLAGS[:-1]):  # to_grader sentences were set aside already
            probability = float(analysis.flag_probs[i, j])
            if probability >= possible:
                flags.append({"id": flag, "label": J.FLAG_LABELS[flag], "quote": sentence.text[:160],
                              "span": [sentence.start, sentence.end], "probability": round(probability, 3),
                              "certain": certain is not None and probability >= certain})
    return sorted(flags, key=lambda f: -f["probability"])


def _feature_label(name: str) -> str:
    if name in FEATURE_LABELS:
        return FEATURE_LABELS[name]
    prefix, _, role = name.partition("_")
    what = {"has": "has", "amount": "how much", "measured": "with numbers:"}[prefix]
    label = next((c[role] for c in CRITERIA.values() if role in c), role)
    return f"{what} {label.lower()}"


def _rationale(kind: str, criteria: list[Criterion], drivers: list[tuple[str, float]], expected: float,
               overall: int, set_aside: list[Quote]) -> list[str]:
    lines = []
    for c in criteria:
        quote = f" — “{c.evidence[0].text[:120]}”" if c.evidence else ""
        lines.append(f"{c.label}: {c.score}/2{quote}")
    if drivers:
        lines.append("What moved the grade: " + "; ".join(f"{label} {value:+.2f}" for label, value in drivers) + ".")
    if set_aside:
        lines.append(f"Set aside, not scored ({len(set_aside)} sentence(s) addressed to the grader).")
    lines.append(f"Overall {overall}/5 (fitted grade {expected:.2f}, {kind.replace('_', ' ')} rubric).")
    return lines
