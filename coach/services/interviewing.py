"""A mock interview as one flow: start or resume, ask (tailored by the model or the bank's own), submit, score.

The app and the CLI drive the same generators and show their events; neither writes to the
database itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from coach import interview as iv
from coach.decode import Decode
from coach.matrix import confidences
from coach.questions import load_bank
from coach.services.decoding import Decoded, load_decode
from coach.taxonomy import load_taxonomy
from models.embeddings import Embedder
from models.errors import CoachError, InputError
from models.runtime import TextModel

TAILOR_MAX_TOKENS = 90


@dataclass(frozen=True, slots=True)
class Session:
    interview_id: int
    decoded: Decoded


@dataclass(frozen=True, slots=True)
class QuestionStarted:
    turn: iv.Turn
    number: int  # 1-based
    total: int
    competency: str


@dataclass(frozen=True, slots=True)
class QuestionText:
    text: str  # a streamed piece of a tailored question


@dataclass(frozen=True, slots=True)
class QuestionReady:
    turn: iv.Turn  # its text is the question as asked
    tailored: bool
    replaced: bool  # the streamed text was not kept: show turn.text instead


@dataclass(frozen=True, slots=True)
class InterviewDone:
    interview_id: int


QuestionEvent = QuestionStarted | QuestionText | QuestionReady | InterviewDone


def start(db: Any, jd_id: int, *, n: int, embedder: Embedder | None) -> Session:
    """Plan N questions for a saved JD, from its saved decode, and store the interview."""
    decoded = load_decode(db, jd_id, embedder=embedder)
    plan = iv.plan_session(decoded.decode, n=n, confidences=confidences(db, jd_id), embedder=embedder)
    return Session(iv.start_interview(db, jd_id=jd_id, decode=decoded.decode, plan=plan), decoded)


def resume(db: Any, interview_id: int, *, embedder: Embedder | None) -> tuple[Session, int]:
    """An interview as it was left; answers a kill stored but never scored are scored now. Returns how many."""
    row = iv.get_interview(db, interview_id)
    if row["jd_id"] is None:
        raise InputError(f"interview {interview_id} has no saved job description to resume from")
    decoded = load_decode(db, row["jd_id"], embedder=embedder)
    return Session(interview_id, decoded), iv.rescore_unscored(db, interview_id, embedder)


def first_question(text: str) -> str:
    """The first question of what the model wrote: a second one glued on is not asked."""
    text = " ".join(text.split())
    mark = text.find("?")
    return text if mark < 0 else text[:mark + 1]


def ask_next(db: Any, session: Session, *, model: TextModel | None, embedder: Embedder | None,
             cancel: threading.Event | None = None) -> Iterator[QuestionEvent]:
    """The next unanswered question: tailored to the JD by the model when it can be, else the bank's own."""
    all_turns = iv.turns(db, session.interview_id)
    turn = next((t for t in all_turns if t.answer is None), None)
    if turn is None:
        iv.finish_if_done(db, session.interview_id)
        yield InterviewDone(session.interview_id)
        return
    yield QuestionStarted(turn, turn.idx + 1, len(all_turns), load_taxonomy().cluster(turn.cluster_id).name)
    question = next((q for q in load_bank() if q.id == turn.question_id), None)
    already_asked = question is None or turn.text != question.text
    if model is None or already_asked or not any(c.id == question.cluster for c in session.decoded.decode.clusters):
        yield QuestionReady(turn, tailored=False, replaced=False)
        return
    yield from _tailor(db, session, turn, question, session.decoded.decode, model, embedder, cancel)


def _tailor(db: Any, session: Session, turn: iv.Turn, question: Any, decode: Decode, model: TextModel,
            embedder: Embedder | None, cancel: threading.Event | None) -> Iterator[QuestionEvent]:
    pieces: list[str] = []
    try:
        with model.stream(iv.tailor_messages(question, decode), max_tokens=TAILOR_MAX_TOKENS, stop=["\n"],
                          cancel=cancel) as completion:
            for token in completion:
                so_far = "".join(pieces)
                if "?" in so_far:
                    break  # one question is asked; whatever follows it is not
                piece = token.text
                if "?" in piece:
                    piece = piece[:piece.index("?") + 1]
                pieces.append(piece)
                yield QuestionText(piece)
    except CoachError:
        pieces = []
    tailored = first_question("".join(pieces))
    accepted = not (cancel is not None and cancel.is_set()) and iv.accept_tailored(tailored, question, embedder)
    turn.text = tailored if accepted else question.text
    iv.set_asked(db, session.interview_id, turn.idx, turn.text, accepted)
    yield QuestionReady(turn, tailored=accepted, replaced=not accepted)


def submit(db: Any, session: Session, turn: iv.Turn, answer: str) -> int:
    """Store the answer at once; a second submit for the same question is refused, not stored twice."""
    answer_id = iv.submit_answer(db, session.interview_id, turn.idx, answer)
    if answer_id is None:
        raise InputError(f"question {turn.idx + 1} is already answered", hint="Ctrl+N (or the next prompt) moves on")
    return answer_id


def score(db: Any, *, answer_id: int, turn: iv.Turn, answer: str, embedder: Embedder | None,
          model: TextModel | None, cancel: threading.Event | None = None) -> Iterator[Any]:
    """The rubric at once, then the feedback as it streams (see `coach.interview.score_and_coach`)."""
    yield from iv.score_and_coach(db, answer_id=answer_id, turn=turn, answer=answer, embedder=embedder, model=model,
                                  cancel=cancel)
