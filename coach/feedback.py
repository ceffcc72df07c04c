"""Feedback on a scored answer: content from the rubric, words from the model, guards in between.

"What landed" and "what to sharpen" are the rubric's own, shown with the score: the user's
strongest sentences with the criterion each earned, and the one or two criteria that matter
most for this kind of question that scored low, each with a concrete instruction. The model
writes only what needs generating, one short generation per part over a shared prompt prefix (so
llama.cpp evaluates the answer once): a stronger opening in the user's voice,
one follow-up question on the one or two weakest criteria, and, for design and technical questions, what
a 5/5 answer would add. Every model sentence passes guards before it reaches the screen
(second person for coaching, first person for the opening, no fact that is not in the answer,
question or JD, no praise of what scored low, one question); a sentence that fails is dropped
and the rubric's words stand in. Failures are counted and logged, without the user's text.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

from coach import judgement as J
from coach.prompting import JDContext
from coach.prompting import messages as prompt_messages
from coach.rubric import INSTRUCTIONS, RubricResult
from coach.sentences import FUNCTION_WORDS, THIRD_PERSON, sentence_end
from models.quoting import defuse, quote
from models.runtime import ChatMessage, TextModel

log = logging.getLogger(__name__)
GUARD_FAILURES: Counter[str] = Counter()  # "slot:reason" -> count, for the measurement script and the logs


@dataclass(frozen=True, slots=True)
class FeedbackSlot:
    id: str
    title: str
    source: str  # "rubric" or "model"


SLOTS = (
    FeedbackSlot("landed", "What landed", "rubric"),
    FeedbackSlot("sharpen", "What to sharpen", "rubric"),
    FeedbackSlot("follow_up", "Follow-up question", "model"),
    FeedbackSlot("opening", "A stronger opening", "model"),
    FeedbackSlot("outline", "What a 5/5 answer adds", "model"),
    FeedbackSlot("notice", "Note", "rubric"),  # e.g. the model saw only part of a long answer
)
SLOT = {s.id: s for s in SLOTS}


@dataclass(frozen=True, slots=True)
class FeedbackText:
    slot: FeedbackSlot
    text: str  # a released piece: a whole sentence that passed its guards, or the rubric's words


@dataclass(frozen=True, slots=True)
class FeedbackDone:
    slot: FeedbackSlot
    text: str
    source: str  # "rubric" or "model"


FeedbackEvent = FeedbackText | FeedbackDone


@dataclass(frozen=True, slots=True)
class Draft:
    """The first model part, written in the background for an answer as it stood when typing paused: used
    after submit only where the feedback would send the very same prompt (greedy decoding: the same prompt
    writes the same words). `sentences` empty: the model's sentence failed its guards, and the rubric's words stand in."""

    slot: str
    sentences: tuple[str, ...]
    prompt_sha256: str  # of the part's prompt: used only where the feedback would send the very same prompt


def draft_key(question: str, answer: str, competency: str) -> str:
    return hashlib.sha256(f"{question}\0{competency}\0{answer}".encode()).hexdigest()


def _prompt_sha256(prompt: list[ChatMessage]) -> str:
    return hashlib.sha256("\0".join(f"{m.role}\0{m.content}" for m in prompt).encode()).hexdigest()


# -- the rubric's words ---------------------------------------------------------------------------
def landed(rubric: RubricResult) -> str:
    if rubric.category != "answer":
        return "Nothing to credit yet: " + ("there was no answer." if rubric.category == "empty" else
                                            "the answer does not address the question with anything that can be checked.")
    credited = [(c, c.evidence[0]) for c in rubric.criteria if c.score > 0 and c.evidence]
    credited.sort(key=lambda item: (-item[0].score, -item[1].probability))
    if not credited:
        return "Nothing the rubric could credit yet."
    return "Your strongest lines: " + "; ".join(f"“{quote.text[:200]}” ({c.label}, {c.score}/2)"
                                              for c, quote in credited[:2]) + "."


def sharpen_targets(rubric: RubricResult, limit: int = 2) -> list[str]:
    """The low criteria that weigh most in this kind's fitted grade, most important first."""
    weights = J.criterion_weights(rubric.kind, rubric.mode)
    low = [c for c in rubric.criteria if c.score < 2]
    low.sort(key=lambda c: (c.score, -weights.get(c.id, 0.0)))
    return [c.id for c in low[:limit]]


def sharpen(rubric: RubricResult) -> str:
    parts = [f"Drop “{flag['quote'][:100]}”: it {flag['label']}." if flag["certain"] else
             f"“{flag['quote'][:100]}” may read as a red flag ({flag['label']}): make sure it cannot."
             for flag in rubric.red_flags[:1] if flag["certain"] or flag["probability"] >= 0.9]
    for criterion_id in sharpen_targets(rubric):
        criterion = rubric.criterion(criterion_id)
        assert criterion is not None
        state = "missing" if criterion.score == 0 else "thin"
        parts.append(f"{criterion.label} ({state}): {INSTRUCTIONS[criterion_id]}.")
    if not parts:
        parts.append("Keep it to about two minutes, and keep the numbers.")
    return " ".join(p[0].upper() + p[1:] for p in parts)


def rubric_fallback(rubric: RubricResult) -> dict[str, str]:
    """What stands in for a model slot that is empty, cancelled or failed its guards."""
    weakest = sharpen_targets(rubric, 1)
    target = rubric.criterion(weakest[0]).label.lower() if weakest else "the result"  # type: ignore[union-attr]
    follow_up = {
        "behavioural": f"Can you walk me through {target} in more detail, with a number?",
        "system_design": f"How would you handle {target} in this design?",
        "technical": f"Can you go deeper on {target}?",
    }[rubric.kind]
    if rubric.category != "answer":
        follow_up = f"Take any project, even a small one, that touched {rubric.competency_name.lower()}: what did you do?"
    opening = {
        "behavioural": "Open with one sentence that says where you were, what you owned and the number that changed.",
        "system_design": "Open with the requirements: who uses it, how much load, and the latency you must meet.",
        "technical": "Open with a one-sentence definition, then say why it matters in practice.",
    }[rubric.kind]
    outline = " ".join(f"{INSTRUCTIONS[c][0].upper()}{INSTRUCTIONS[c][1:]}." for c in sharpen_targets(rubric, 3))
    return {"opening": opening, "follow_up": follow_up, "outline": outline or "Add a measured result."}


def model_slots(rubric: RubricResult) -> list[str]:
    if rubric.category != "answer":
        return []
    # The follow-up first: the shortest sentence, so the first model words come soonest after the score.
    return ["follow_up", "opening"] + (["outline"] if rubric.kind in ("system_design", "technical") else [])


# -- the model's words ----------------------------------------------------------------------------
def messages(question: str, answer: str, rubric: RubricResult, slot: str,
             jd: JDContext | None = None) -> list[ChatMessage]:
    """The prompt for one model part, in the layout of every step of a JD (coach.prompting): system and JD
    first, then the question and the answer (shared by every part), the part's own request last."""
    weakest = [rubric.criterion(c).label.lower() for c in sharpen_targets(rubric)]  # type: ignore[union-attr]
    asks = {
        "opening": "Write one sentence the speaker could open this answer with, in the first person (I ...), "
                   "using only facts from their answer. Reply with the sentence only.",
        "follow_up": f"Write the one question an interviewer would ask the speaker next, about "
                     f"{', '.join(weakest) or 'it'}, addressing them as \"you\". Reply with the question only.",
        # Asked only to address the speaker, the model wrote "A top answer would..." every time (7 of 7).
        "outline": "In one or two sentences that begin with \"You would\", say what a top answer would add. "
                   "Reply with those sentences only.",
    }
    return prompt_messages(jd, _answer_part(question, heard(answer, rubric), rubric.competency_name) + asks[slot])


def heard(answer: str, rubric: RubricResult) -> str:
    """The answer as the model reads it: without the sentences the rubric set aside as addressed to the grader, so
    an answer that tries to steer the coach ("say this was excellent") is read exactly as it is without them."""
    kept, at = [], 0
    for start, end in sorted(q.span for q in rubric.set_aside):
        kept.append(answer[at:start])
        at = end
    kept.append(answer[at:])
    return re.sub(r"[ \t]{2,}", " ", "".join(kept)).strip()


def _answer_part(question: str, answer: str, competency_name: str) -> str:
    return f"Interview question ({competency_name}): {defuse(question)}\nThe speaker's answer:\n{quote('answer', answer)}\n\n"


def warm_messages(question: str, answer_so_far: str, competency_name: str, jd: JDContext | None) -> list[ChatMessage]:
    """A prompt that starts with the same bytes as every feedback part's, up to the end of the answer typed so far:
    evaluated in the background while the user types, it leaves only the rest of the answer and the part's
    request to evaluate after submit."""
    return prompt_messages(jd, _answer_part(question, answer_so_far, competency_name))


MAX_TOKENS_PER_SLOT = {"opening": 60, "follow_up": 45, "outline": 80}


_WORD_NUMBER = re.compile(r"\d[\d,.]*")
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z0-9]+(?:[A-Z][a-z0-9]+)*\b")
_LOWER_WORD = re.compile(r"[a-z][a-z-]*")
_PRAISE = re.compile(r"\b(?:great|good|strong|clear|excellent|nice|solid|impressive|well[\s-]done)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|[Mm]y|[Mm]e|[Ww]e|[Oo]ur|[Uu]s)\b")
_SECOND_PERSON = re.compile(r"\byou(?:r|rs|'re|'ll|'d|'ve)?\b", re.IGNORECASE)


def guard(slot: str, sentence: str, *, rubric: RubricResult, sources: str) -> str | None:
    """Why a model sentence may not be shown (None: it may)."""
    text = sentence.strip()
    if not text:
        return "empty"
    if THIRD_PERSON.search(text):
        return "third_person"
    lowered_sources = sources.lower()
    known_numbers = {_number(n) for n in _WORD_NUMBER.findall(sources)}
    for number in _WORD_NUMBER.findall(text):
        if _number(number) not in known_numbers:  # whole numbers: "4" is not in "400"
            return "invented_number"
    for name in _PROPER.findall(text):
        if name.lower() not in lowered_sources and name not in ("I", "I'm", "I've", "I'd"):
            return "invented_name"
    if slot == "opening":  # the user's own line: first person, never addressed to them
        if not _FIRST_PERSON.search(text) or _SECOND_PERSON.search(text):
            return "not_first_person"
    if slot == "follow_up":
        if text.count("?") != 1 or not text.endswith("?") or len(text.split()) > 40:
            return "not_one_question"
        if not _SECOND_PERSON.search(text):
            return "not_second_person"
    if slot == "outline":
        if re.search(r"\b(?:I|my)\b", text) or not _SECOND_PERSON.search(text):
            return "not_second_person"
    if slot != "opening" and _PRAISE.search(text) and _names_a_criterion(text, rubric, score=0):
        return "praises_low_criterion"  # the opening is the user's own line: its words praise nothing
    return None


def _number(text: str) -> str:
    return text.strip(".,").replace(",", "")


def _names_a_criterion(text: str, rubric: RubricResult, *, score: int) -> bool:
    """Whether the text names a criterion that scored `score` by its label's first content word, as the start of
    a word: "requirement" names "Requirements and constraints", "concrete" names "A concrete example"."""
    words = _LOWER_WORD.findall(text.lower())
    for criterion in rubric.criteria:
        if criterion.score != score:
            continue
        head = next((w for w in _LOWER_WORD.findall(criterion.label.lower()) if w not in FUNCTION_WORDS), "")
        stem = head[: max(4, len(head) - 2)]  # "requirements" -> "requiremen", "trade-offs" -> "trade-of"
        if stem and any(w.startswith(stem) for w in words):
            return True
    return False


def _fail(slot: str, reason: str) -> None:
    GUARD_FAILURES[f"{slot}:{reason}"] += 1
    log.info("feedback guard dropped a %s sentence: %s", slot, reason)  # never the user's text


def stream_feedback(model: TextModel | None, *, question: str, answer: str, rubric: RubricResult,
                    context: str = "", jd: JDContext | None = None, cancel: threading.Event | None = None,
                    draft: Draft | Callable[[], Draft | None] | None = None) -> Iterator[FeedbackEvent]:
    """The rubric's parts at once, then the model's, each sentence released only once it passes its guards.

    `context` is other text facts may come from; `jd` is the JD's shared prompt prefix (its text counts as a
    source too). One generation per model part, over a shared prefix: a part's own request costs ~30 tokens
    (a third of a second on two cores), and a part whose sentence fails its guards cannot spoil the others.
    `draft`: the first model part written while typing paused, or a function that returns it (called once the
    rubric's parts are out, as it may wait for a draft still being written)."""
    for slot_id, text in (("landed", landed(rubric)), ("sharpen", sharpen(rubric))):
        yield FeedbackText(SLOT[slot_id], text)
        yield FeedbackDone(SLOT[slot_id], text, "rubric")
    wanted = model_slots(rubric)
    if not wanted:
        return
    if callable(draft):
        draft = draft()
    fallback = rubric_fallback(rubric)
    sources = _sources(answer, rubric, question, context, jd)
    cut: set[str] = set()
    for slot_id in wanted:
        released: list[str] = []
        prompt = messages(question, answer, rubric, slot_id, jd)
        if draft is not None and draft.slot == slot_id and draft.prompt_sha256 == _prompt_sha256(prompt):
            released = list(draft.sentences)  # written while the user paused before submitting
            for sentence in released:
                yield FeedbackText(SLOT[slot_id], sentence)
        elif model is not None and not (cancel is not None and cancel.is_set()):
            yield from _generate(model, slot_id, prompt, released, rubric, sources, cancel, cut,
                                 jd.text if jd else None)
        text = " ".join(released).strip()
        if text:
            yield FeedbackDone(SLOT[slot_id], text, "model")
        else:
            yield FeedbackText(SLOT[slot_id], fallback[slot_id])
            yield FeedbackDone(SLOT[slot_id], fallback[slot_id], "rubric")
    if cut:
        what = " and ".join(sorted({"answer": "your answer", "job_description": "the job description"}.get(t, t)
                                   for t in cut))
        note = f"The model saw only the first part of {what} (its context is {model.n_ctx:,} tokens)."  # type: ignore[union-attr]
        yield FeedbackText(SLOT["notice"], note)
        yield FeedbackDone(SLOT["notice"], note, "rubric")


def draft_first_part(model: TextModel, *, question: str, answer: str, rubric: RubricResult,
                     jd: JDContext | None, cancel: threading.Event) -> Draft | None:
    """Write the first model part for an answer as typed so far, as background work (anything the user waits for
    pre-empts it). None when there is nothing to write, or when it was stopped before its sentence was judged."""
    wanted = model_slots(rubric)
    if not wanted:
        return None
    slot_id, released, cut = wanted[0], [], set()  # type: ignore[var-annotated]
    prompt = messages(question, answer, rubric, slot_id, jd)
    events = _generate(model, slot_id, prompt, released, rubric, _sources(answer, rubric, question, "", jd), cancel, cut,
                       jd.text if jd else None, background=True)
    try:
        while True:
            next(events)
    except StopIteration as stop:
        finish_reason = stop.value
    if finish_reason == "cancelled" or cancel.is_set() or cut:  # pre-empted or replaced: judged on part of it
        return None
    return Draft(slot_id, tuple(released), _prompt_sha256(prompt))


def _sources(answer: str, rubric: RubricResult, question: str, context: str, jd: JDContext | None) -> str:
    """The text a model sentence's facts may come from: the answer as the model read it (`heard`), and the rest."""
    return f"{heard(answer, rubric)}\n{question}\n{context}\n{jd.text if jd else ''}"


def _generate(model: TextModel, slot_id: str, prompt: list[ChatMessage], released: list[str], rubric: RubricResult,
              sources: str, cancel: threading.Event | None, cut: set[str], shared_prefix: str | None,
              background: bool = False) -> Generator[FeedbackEvent, None, str | None]:
    """Stream one part; release each finished sentence that passes its guards; stop at the first that fails.
    Returns the completion's finish reason ("cancelled" when it was stopped or pre-empted)."""
    buffer = ""
    completion = model.stream(prompt, max_tokens=MAX_TOKENS_PER_SLOT[slot_id], temperature=0.0, stop=["\n\n"],
                              cancel=cancel, shared_prefix=shared_prefix, background=background)
    cut.update(completion.truncated)
    with completion:
        for token in completion:
            buffer += token.text
            while (end := sentence_end(buffer)) is not None:
                piece, buffer = buffer[:end], buffer[end:]
                if not (yield from _release(piece, slot_id, released, rubric, sources)):
                    return completion.finish_reason
        if completion.finish_reason != "cancelled":  # a stopped part's last words are not a sentence
            yield from _release(buffer, slot_id, released, rubric, sources)
    return completion.finish_reason


_QUOTES = '"“”'


def _unquote(piece: str) -> str:
    """The model's wrapping quotes off (it often quotes the opening it suggests, across sentences), a quotation
    the sentence opens and closes itself kept whole."""
    inner = piece[1:-1]
    if len(piece) > 1 and piece[0] in '"“' and piece[-1] in '"”' and not any(q in inner for q in _QUOTES):
        return inner.strip()
    if sum(piece.count(q) for q in _QUOTES) % 2:  # one quote without its pair: the wrapper's start or end
        if piece[0] in '"“':
            return piece[1:].strip()
        if piece[-1] in '"”':
            return piece[:-1].strip()
    return piece


def _release(piece: str, slot_id: str, released: list[str], rubric: RubricResult, sources: str
             ) -> Iterator[FeedbackEvent]:
    """Yield one sentence if it passes the slot's guards. Returns whether the slot may go on."""
    piece = re.sub(r"^\**\s*(?:OPENING|FOLLOW-UP|FOLLOW UP|OUTLINE)\s*\**\s*:\s*", "", piece.strip(), flags=re.IGNORECASE)
    piece = _unquote(piece.strip())
    if not piece:
        return True
    if slot_id in ("opening", "follow_up") and released:
        _fail(slot_id, "more_than_one")  # one opening, one question
        return False
    reason = guard(slot_id, piece, rubric=rubric, sources=sources)
    if reason is not None:
        _fail(slot_id, reason)
        return False  # the rest of a part whose sentence failed would not stand on its own
    released.append(piece)
    yield FeedbackText(SLOT[slot_id], piece)
    return True


def collect_feedback(model: TextModel | None, **kwargs: object) -> dict[str, dict[str, str]]:
    out = {}
    for event in stream_feedback(model, **kwargs):  # type: ignore[arg-type]
        if isinstance(event, FeedbackDone):
            out[event.slot.id] = {"text": event.text, "source": event.source}
    return out
