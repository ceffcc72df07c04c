"""A mock interview: plan questions for a JD, ask, store each answer at once, score, coach, resume.

Questions aim at the JD's top-weighted clusters and the user's weakest evidence (the gap
priority of the competency matrix). The model may tailor a bank question to the JD by
quoting its spans, but a tailored question that drifts from its competency is replaced
by the bank's own. No two questions in a session are near-duplicates.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from coach import records
from coach.decode import Decode, semantic_index
from coach.feedback import Draft, FeedbackDone, FeedbackEvent, stream_feedback
from coach.matrix import UNRATED_AS
from coach.prompting import JDContext, context_text
from coach.prompting import messages as prompt_messages
from coach.questions import Question, fits, load_bank
from coach.rubric import RubricResult, score_answer
from coach.taxonomy import load_taxonomy
from models.embeddings import Embedder
from models.errors import InputError
from models.quoting import defuse
from models.runtime import ChatMessage, TextModel

NEAR_DUPLICATE = 0.80  # cosine between two questions' vectors
NEAR_DUPLICATE_WORDS = 0.6  # word-set overlap, when no embedder is loaded
TAILOR_PHRASES = 4  # the JD's phrases for the competency shown to the model, in the order the decode found them
TAILOR_DRIFT = 0.08  # a tailored question may lose at most this much similarity to its competency


@dataclass(frozen=True, slots=True)
class PlannedQuestion:
    cluster_id: str
    question: Question


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{3,}", text.lower()))


def _near_duplicate(text: str, chosen: list[str], vectors: dict[str, np.ndarray], embedder: Embedder | None) -> bool:
    if embedder is not None:
        vector = vectors.setdefault(text, embedder.embed([text])[0])
        return any(float(vector @ vectors.setdefault(c, embedder.embed([c])[0])) >= NEAR_DUPLICATE for c in chosen)
    mine = _words(text)
    return any(len(mine & _words(c)) / max(len(mine | _words(c)), 1) >= NEAR_DUPLICATE_WORDS for c in chosen)


def plan_session(decode: Decode, *, n: int = 5, confidences: dict[str, int | None] | None = None,
                 embedder: Embedder | None = None, bank: tuple[Question, ...] | None = None) -> list[PlannedQuestion]:
    """N questions over the JD's clusters, highest gap priority first, round-robin, no near-duplicates."""
    if not decode.clusters:
        raise InputError("this JD has no recognisable competency to interview on")
    confidences = confidences or {}
    bank = bank or load_bank()
    ranked = sorted(decode.clusters, key=lambda c: -(c.weight * (5 - (confidences.get(c.id) or UNRATED_AS))))
    kinds_first = ("behavioural", "technical", "system_design")
    chosen: list[PlannedQuestion] = []
    texts: list[str] = []
    vectors: dict[str, np.ndarray] = {}
    rounds = 0
    while len(chosen) < n and rounds < 6:
        progressed = False
        for cluster in ranked:
            if len(chosen) >= n:
                break
            asked_here = sum(1 for p in chosen if p.cluster_id == cluster.id)
            candidates = [q for q in bank if q.cluster == cluster.id and fits(q, decode.level.value)
                          and q.id not in {p.question.id for p in chosen}]
            # Vary the kind within a cluster: behavioural first, then technical, then design.
            candidates.sort(key=lambda q: ((kinds_first.index(q.kind) - asked_here) % 3, q.level != decode.level.value,
                                           q.id))
            for question in candidates:
                if not _near_duplicate(question.text, texts, vectors, embedder):
                    chosen.append(PlannedQuestion(cluster.id, question))
                    texts.append(question.text)
                    progressed = True
                    break
        rounds += 1
        if not progressed:
            break
    return chosen


# -- tailoring --------------------------------------------------------------------------------
def tailor_messages(question: Question, decode: Decode, jd: JDContext | None = None) -> list[ChatMessage]:
    """The tailoring prompt in the layout of every step of a JD: system and JD first (`jd`, the shared prefix;
    the whole JD when none is given), this question's part last."""
    cluster = next(c for c in decode.clusters if c.id == question.cluster)
    phrases = "; ".join(f"“{defuse(decode.text[s:e])}”" for s, e in cluster.spans[:TAILOR_PHRASES])
    if jd is None:
        jd = JDContext(context_text(decode.text, decode), len(decode.text), len(decode.text))
    return prompt_messages(jd, (
        "Task: you are the interviewer. Adapt the bank question below to this job description by quoting one short "
        "phrase from it. Keep it about the same competency and the same kind (a story question stays a story "
        f"question). Reply with the one question only.\nCompetency: {cluster.name}\n"
        f"Phrases the job description uses for it: {phrases}\nBank question: {question.text}\nAdapted question:"))


def accept_tailored(text: str, question: Question, embedder: Embedder | None) -> bool:
    text = text.strip()
    if not (15 <= len(text) <= 400) or not text.endswith("?"):
        return False
    if embedder is None:
        return True
    taxonomy = load_taxonomy()
    position = [c.id for c in taxonomy.clusters].index(question.cluster)
    sims = semantic_index(taxonomy, embedder).cluster_similarities([text, question.text])[:, position]
    return float(sims[0]) >= float(sims[1]) - TAILOR_DRIFT


# -- sessions in the database -------------------------------------------------------------------
@dataclass(slots=True)
class Turn:
    idx: int
    cluster_id: str
    question_id: str
    text: str
    answer: str | None = None
    rubric: dict | None = None
    feedback: dict | None = None


def start_interview(db: Any, *, jd_id: int | None, decode: Decode, plan: list[PlannedQuestion]) -> int:
    return records.insert_interview(db, jd_id=jd_id, level=decode.level.value, questions=[
        {"idx": i, "cluster_id": p.cluster_id, "question_id": p.question.id, "text": p.question.text,
         "bank_text": p.question.text, "tailored": 0, "asked_at": None}
        for i, p in enumerate(plan)
    ])


def set_asked(db: Any, interview_id: int, idx: int, text: str, tailored: bool) -> None:
    records.set_question_asked(db, interview_id, idx, text=text, tailored=tailored)


def turns(db: Any, interview_id: int) -> list[Turn]:
    return [Turn(r["idx"], r["cluster_id"], r["question_id"], r["text"], r["answer"],
                 json.loads(r["rubric_json"]) if r["rubric_json"] else None,
                 json.loads(r["feedback_json"]) if r["feedback_json"] else None)
            for r in records.turn_rows(db, interview_id)]


def next_turn(db: Any, interview_id: int) -> Turn | None:
    return next((t for t in turns(db, interview_id) if t.answer is None), None)


def active_interviews(db: Any) -> list[dict]:
    return records.active_interview_rows(db)


def list_interviews(db: Any) -> list[dict]:
    return records.interview_summaries(db)


def get_interview(db: Any, interview_id: int) -> dict:
    row = records.interview_row(db, interview_id)
    if row is None:
        raise InputError(f"no interview with id {interview_id}", hint="`coach interview --list` shows them")
    return row


def submit_answer(db: Any, interview_id: int, idx: int, answer: str) -> int | None:
    """Store the answer now, before anything can fail; return its id (None: this question is answered already)."""
    return records.insert_answer(db, interview_id=interview_id, idx=idx, text=answer)


def save_score(db: Any, answer_id: int, rubric: RubricResult, feedback: dict | None) -> None:
    records.upsert_score(db, answer_id=answer_id, cluster_id=rubric.competency, overall=rubric.overall,
                         expected=rubric.expected, rubric=rubric.to_dict(), feedback=feedback)


def finish_if_done(db: Any, interview_id: int) -> bool:
    if next_turn(db, interview_id) is None:
        records.mark_interview_done(db, interview_id)
        return True
    return False


def unscored_answers(db: Any, interview_id: int) -> list[dict]:
    """Answers stored but not scored (the process died in between): scored again on resume."""
    return records.unscored_answer_rows(db, interview_id)


def rescore_unscored(db: Any, interview_id: int, embedder: Embedder | None) -> int:
    """Score what a killed run stored but never scored (rubric only: no one is waiting for feedback)."""
    stale = unscored_answers(db, interview_id)
    by_idx = {t.idx: t for t in turns(db, interview_id)} if stale else {}
    for row in stale:
        for _ in score_and_coach(db, answer_id=row["id"], turn=by_idx[row["idx"]], answer=row["text"],
                                 embedder=embedder, model=None):
            pass
    return len(stale)


def score_turn(turn: Turn, answer: str, embedder: Embedder | None) -> RubricResult:
    """The rubric for an answer to this turn's question (deterministic)."""
    # A tailored question keeps its bank question's kind: the rubric is the one the question was chosen for.
    bank = next((q for q in load_bank() if q.id == turn.question_id), None)
    return score_answer(answer, question=turn.text, competency=turn.cluster_id, embedder=embedder,
                        kind=bank.kind if bank is not None else None)


def score_and_coach(db: Any, *, answer_id: int, turn: Turn, answer: str,
                    embedder: Embedder | None, model: TextModel | None,
                    cancel: threading.Event | None = None, jd: JDContext | None = None,
                    draft: Draft | Callable[[], Draft | None] | None = None, rubric: RubricResult | None = None
                    ) -> Iterator[RubricResult | FeedbackEvent]:
    """Score at once (deterministic), yield the rubric, then stream the feedback; save both. A `draft` written
    for this exact answer while typing paused stands in for the first model part (see `stream_feedback`), and
    the `rubric` that draft computed for it, when given, is this answer's score."""
    rubric = rubric if rubric is not None else score_turn(turn, answer, embedder)
    save_score(db, answer_id, rubric, None)  # the score is kept even if feedback is cancelled
    records.insert_event(db, "answer", rubric.competency)
    yield rubric
    feedback: dict[str, dict[str, str]] = {}
    for event in stream_feedback(model, question=turn.text, answer=answer, rubric=rubric, jd=jd, cancel=cancel,
                                 draft=draft):
        if isinstance(event, FeedbackDone):
            feedback[event.slot.id] = {"text": event.text, "source": event.source}
        yield event
    save_score(db, answer_id, rubric, feedback)
