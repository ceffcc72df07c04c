"""A mock interview as one flow: start or resume, ask (tailored by the model or the bank's own), submit, score.

The app and the CLI drive the same generators and show their events; neither writes to the
database itself.
"""

from __future__ import annotations

import copy
import hashlib
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

from coach import interview as iv
from coach.decode import Decode
from coach.feedback import Draft, draft_first_part, draft_key
from coach.matrix import confidences
from coach.prompting import JDContext, jd_context
from coach.questions import Question, load_bank
from coach.rubric import RubricResult
from coach.services.decoding import Decoded, load_decode
from coach.taxonomy import load_taxonomy
from models.embeddings import Embedder
from models.errors import CoachError, InputError
from models.runtime import TextModel

TAILOR_MAX_TOKENS = 90
# After submit, how long feedback waits at most for a follow-up still being drafted for this exact answer. Waiting
# always costs less than pre-empting the draft and generating again (what the draft evaluated stays cached, what it
# wrote would be written again), so this only bounds a draft that is stuck; a pasted 200-token answer takes ~10 s
# to draft on two idle cores of the dev VM (prompt evaluation ~35 tokens/s), more under load. Esc stops the wait.
DRAFT_WAIT_S = 30.0
KEPT_DRAFTS = 4  # drafts (and their rubrics) kept for answers that may still be submitted


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


def prepare_first_question(db: Any, jd_id: int, decode: Decode, *, n: int, embedder: Embedder | None,
                           prefetch: Prefetcher) -> None:
    """While the user reads the decode: plan as `start` will (the plan is deterministic) and tailor question 1 in
    the background, so the interview opens on a question already written."""
    plan = iv.plan_session(decode, n=n, confidences=confidences(db, jd_id), embedder=embedder)
    if plan:
        prefetch.prepare(decode, plan[0].question)


def warm_answer(session: Session, turn: iv.Turn, answer_so_far: str, *, model: TextModel,
                prefetch: Prefetcher) -> None:
    """When typing pauses: in the background, score the answer so far and have the model write the first
    feedback part for it (the follow-up question). After submit, an unchanged answer shows that part at once
    with its score; a changed one finds the answer read up to where it changed, so the feedback evaluates only
    what was typed since and its request (a few dozen tokens, not a few hundred)."""
    decode = session.decoded.decode
    if not answer_so_far.strip() or not decode.clusters:
        return
    jd = jd_context(model, decode)
    try:
        load_taxonomy().cluster(turn.cluster_id)
    except KeyError:  # a cluster a newer taxonomy retired: scoring will refuse it, drafting is pointless
        return
    embedder = prefetch.embedder

    key = draft_key(turn.text, answer_so_far, turn.cluster_id)

    def draft(cancel: threading.Event) -> Draft | None:
        rubric = iv.score_turn(turn, answer_so_far, embedder)
        prefetch.keep_rubric(key, rubric)
        return draft_first_part(model, question=turn.text, answer=answer_so_far, rubric=rubric, jd=jd, cancel=cancel)

    prefetch.warm(key, draft)


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
             cancel: threading.Event | None = None, prefetch: Prefetcher | None = None) -> Iterator[QuestionEvent]:
    """The next unanswered question: tailored to the JD by the model when it can be, else the bank's own.

    With a `prefetch`, a question it prepared is asked at once, and the one after is prepared in the
    background while the user answers."""
    all_turns = iv.turns(db, session.interview_id)
    turn = next((t for t in all_turns if t.answer is None), None)
    if turn is None:
        iv.finish_if_done(db, session.interview_id)
        yield InterviewDone(session.interview_id)
        return
    yield QuestionStarted(turn, turn.idx + 1, len(all_turns), load_taxonomy().name_of(turn.cluster_id))
    decode = session.decoded.decode
    question = _to_tailor(turn, decode) if model is not None else None
    if question is None:
        yield QuestionReady(turn, tailored=False, replaced=False)
    else:
        prepared = prefetch.take(decode, question) if prefetch is not None else NOT_READY
        if prepared is NOT_READY:
            yield from _tailor(db, session, turn, question, decode, model, embedder, cancel)  # type: ignore[arg-type]
        else:
            if prepared is not None:
                yield QuestionText(prepared)  # type: ignore[arg-type]
            _ask(db, session, turn, prepared or question.text, prepared is not None)  # type: ignore[arg-type]
            yield QuestionReady(turn, tailored=prepared is not None, replaced=prepared is None)
    if prefetch is not None:
        following = next((t for t in all_turns if t.answer is None and t.idx > turn.idx), None)
        upcoming = _to_tailor(following, decode) if following is not None else None
        if upcoming is not None:
            prefetch.prepare(decode, upcoming)


def _to_tailor(turn: iv.Turn, decode: Decode) -> Question | None:
    """The bank question to tailor for this turn; None when it was asked already or its cluster is not the JD's."""
    question = next((q for q in load_bank() if q.id == turn.question_id), None)
    if question is None or turn.text != question.text or not any(c.id == question.cluster for c in decode.clusters):
        return None
    return question


def _ask(db: Any, session: Session, turn: iv.Turn, text: str, tailored: bool) -> None:
    turn.text = text
    iv.set_asked(db, session.interview_id, turn.idx, text, tailored)


def tailor(model: TextModel, question: Question, decode: Decode, embedder: Embedder | None, *,
           cancel: threading.Event | None = None, background: bool = False) -> Generator[str, None, tuple[str, bool]]:
    """Stream the tailored question's pieces; return (the first question written, whether it may be asked).

    Its prompt starts with the JD's shared prefix, so after the read (or the previous question) only this
    question's own ~100 tokens are evaluated."""
    jd = jd_context(model, decode)
    pieces: list[str] = []
    with model.stream(iv.tailor_messages(question, decode, jd), max_tokens=TAILOR_MAX_TOKENS, stop=["\n"],
                      cancel=cancel, background=background, shared_prefix=jd.text) as completion:
        for token in completion:
            if "?" in "".join(pieces):
                break  # one question is asked; whatever follows it is not
            piece = token.text
            if "?" in piece:
                piece = piece[:piece.index("?") + 1]
            pieces.append(piece)
            yield piece
    stopped = completion.finish_reason == "cancelled" and "?" not in "".join(pieces)
    text = first_question("".join(pieces))
    return text, not stopped and iv.accept_tailored(text, question, embedder)


def _tailor(db: Any, session: Session, turn: iv.Turn, question: Question, decode: Decode, model: TextModel,
            embedder: Embedder | None, cancel: threading.Event | None) -> Iterator[QuestionEvent]:
    text, accepted = "", False
    try:
        text, accepted = yield from _as_events(tailor(model, question, decode, embedder, cancel=cancel))
    except CoachError:
        accepted = False
    accepted = accepted and not (cancel is not None and cancel.is_set())
    _ask(db, session, turn, text if accepted else question.text, accepted)
    yield QuestionReady(turn, tailored=accepted, replaced=not accepted)


def _as_events(pieces: Generator[str, None, tuple[str, bool]]) -> Generator[QuestionEvent, None, tuple[str, bool]]:
    while True:
        try:
            piece = next(pieces)
        except StopIteration as stop:
            return stop.value
        yield QuestionText(piece)


NOT_READY = object()


class Prefetcher:
    """Tailors the next question in the background while the user reads the decode or answers the last one.

    One job at a time on one thread, always as background work on the model: anything the user waits for
    (the read, scoring feedback, a question asked now) pre-empts it within one prompt chunk or one token;
    the job then waits until the model is idle and starts again, its JD prefix still in the KV cache. A newer
    `prepare` replaces a job that has not finished.
    """

    def __init__(self, *, model: TextModel, embedder: Embedder | None) -> None:
        self.model = model
        self._embedder = embedder
        self._cond = threading.Condition()
        self._job: tuple[str, Decode, Question] | None = None
        self._warm: tuple[str, Callable[[threading.Event], object]] | None = None  # (key, job): a feedback draft
        self._warming: str | None = None  # the key of the warm-up taken off `_warm` that is running
        self._drafts: dict[str, object] = {}  # key -> what a warm-up job returned (the latest few)
        self._rubrics: dict[str, RubricResult] = {}  # key -> the rubric a feedback draft computed (the latest few)
        self._done: dict[str, str | None] = {}
        self._cancel = threading.Event()  # the running job is no longer wanted
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="question-prefetch", daemon=True)
        self._thread.start()

    @staticmethod
    def _key(decode: Decode, question: Question) -> str:
        return hashlib.sha256(f"{question.id}\0{question.text}\0{decode.text}".encode()).hexdigest()

    def prepare(self, decode: Decode, question: Question) -> None:
        key = self._key(decode, question)
        with self._cond:
            if key in self._done or (self._job is not None and self._job[0] == key):
                return
            self._cancel.set()  # a job for another question: stop it
            self._job = (key, decode, question)
            self._cond.notify_all()

    def take(self, decode: Decode, question: Question) -> str | None | object:
        """The prepared question (None: the model's was refused, ask the bank's), or NOT_READY, in which case
        a job still running for it is dropped: the caller asks in the foreground, from the cached prefix."""
        key = self._key(decode, question)
        with self._cond:
            if key in self._done:
                return self._done.pop(key)
            if self._job is not None and self._job[0] == key:
                self._cancel.set()
                self._job = None
            return NOT_READY

    @property
    def embedder(self) -> Embedder | None:
        return self._embedder

    def warm(self, key: str, job: Callable[[threading.Event], object]) -> None:
        """Run `job(cancel)` as background model work when nothing else is to do (after any question job) and keep
        what it returns under `key` (see `take_draft`). The latest wins: a newer one stops a running one."""
        with self._cond:
            self._warm = (key, job)
            if self._warming is not None and self._job is None:
                self._cancel.set()
            self._cond.notify_all()

    def keep_rubric(self, key: str, rubric: RubricResult) -> None:
        """The rubric a feedback draft computed for its answer (scoring is deterministic): submitting that exact
        answer takes it instead of scoring again beside the draft's prompt evaluation."""
        with self._cond:
            _keep_latest(self._rubrics, key, copy.deepcopy(rubric))

    def rubric_for(self, key: str) -> RubricResult | None:
        with self._cond:
            found = self._rubrics.get(key)
        return None if found is None else copy.deepcopy(found)  # the caller owns its copy

    def take_draft(self, key: str, *, wait: float = 0.0, cancel: threading.Event | None = None) -> object | None:
        """What the warm-up job for `key` returned (handed out once). While that job is running, wait up to `wait`
        seconds for it: what it has generated so far would otherwise be thrown away and written again."""
        deadline = time.monotonic() + wait
        with self._cond:
            while (key not in self._drafts and self._warming == key and time.monotonic() < deadline
                   and not (cancel is not None and cancel.is_set())):
                self._cond.wait(timeout=min(0.05, max(deadline - time.monotonic(), 0.0)))
            return self._drafts.pop(key, None)

    def wait(self, timeout: float) -> bool:
        """Wait until no job is pending (tests and benchmarks)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._job is None and self._warm is None and self._warming is None,
                                       timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cancel.set()
            self._cond.notify_all()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._job is not None or self._warm is not None)
                if self._closed:
                    return
                job, warm = self._job, self._warm
                self._cancel = cancel = threading.Event()
                if job is None:
                    self._warm, self._warming = None, warm[0]  # type: ignore[index]
            if job is None:
                try:
                    self._warm_up(warm, cancel)  # type: ignore[arg-type]
                finally:
                    with self._cond:
                        self._warming = None
                        self._cond.notify_all()
                continue
            key, decode, question = job
            try:
                result = self._attempt(decode, question, cancel)
            except CoachError:
                result = None  # the model failed: the bank's question is asked
            with self._cond:
                if self._job is job and not cancel.is_set():
                    if result is not NOT_READY:
                        self._done[key] = result  # type: ignore[assignment]
                        self._job = None
                    self._cond.notify_all()

    def _warm_up(self, warm: tuple[str, Callable[[threading.Event], object]], cancel: threading.Event) -> None:
        gate = getattr(self.model, "gate", None)
        if gate is not None:
            gate.wait_idle()
        if cancel.is_set():
            return
        key, job = warm
        try:
            result = job(cancel)
        except CoachError:
            return  # a warm-up that cannot run costs nothing but the time it would have saved
        if result is not None and not cancel.is_set():
            with self._cond:  # `_run` notifies the waiters once `_warming` is cleared
                _keep_latest(self._drafts, key, result)

    def _attempt(self, decode: Decode, question: Question, cancel: threading.Event) -> str | None | object:
        """One try; NOT_READY when user-facing work pre-empted it (the loop tries again once the model is idle)."""
        gate = getattr(self.model, "gate", None)
        if gate is not None:
            gate.wait_idle()
        pieces = tailor(self.model, question, decode, self._embedder, cancel=cancel, background=True)
        try:
            while True:
                next(pieces)
        except StopIteration as stop:
            text, accepted = stop.value
        if cancel.is_set():
            return NOT_READY
        if not accepted and "?" not in text:
            return NOT_READY  # pre-empted before its question was written
        return text if accepted else None


def submit(db: Any, session: Session, turn: iv.Turn, answer: str) -> int:
    """Store the answer at once; a second submit for the same question is refused, not stored twice."""
    answer_id = iv.submit_answer(db, session.interview_id, turn.idx, answer)
    if answer_id is None:
        raise InputError(f"question {turn.idx + 1} is already answered", hint="Ctrl+N (or the next prompt) moves on")
    return answer_id


def _keep_latest(store: dict[str, Any], key: str, value: Any) -> None:
    """Keep `value` under `key` as the newest entry; the oldest go beyond KEPT_DRAFTS."""
    store.pop(key, None)
    store[key] = value
    while len(store) > KEPT_DRAFTS:
        store.pop(next(iter(store)))


def score(db: Any, *, answer_id: int, turn: iv.Turn, answer: str, embedder: Embedder | None,
          model: TextModel | None, cancel: threading.Event | None = None, session: Session | None = None,
          prefetch: Prefetcher | None = None) -> Iterator[Any]:
    """The rubric at once, then the feedback as it streams (see `coach.interview.score_and_coach`).

    With the `session`, the feedback prompt starts with the JD's shared prefix, already in the KV cache; with
    the `prefetch`, a first feedback part drafted for this exact answer while typing paused is shown at once."""
    jd: JDContext | None = None
    if model is not None and session is not None and session.decoded.decode.clusters:
        jd = jd_context(model, session.decoded.decode)
    key = draft_key(turn.text, answer, turn.cluster_id)

    def draft() -> Draft | None:  # asked for after the rubric's parts are shown: it may wait for a running draft
        found = None if prefetch is None else prefetch.take_draft(key, wait=DRAFT_WAIT_S, cancel=cancel)
        return found if isinstance(found, Draft) else None

    yield from iv.score_and_coach(db, answer_id=answer_id, turn=turn, answer=answer, embedder=embedder, model=model,
                                  cancel=cancel, jd=jd, draft=draft,
                                  rubric=None if prefetch is None else prefetch.rubric_for(key))
