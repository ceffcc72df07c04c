"""The read of a JD: what a coach would add to the deterministic decode.

First, at once and without the model, the questions this JD will likely produce, each tied to
the JD span that asks for it (the question bank, as the brief plans them). Then the model's
words, streamed: what the role expects that the JD does not say, each expectation quoting the
words of the JD that imply it; a sentence whose quote is not in the JD is dropped before it
is shown (READ_GUARD_FAILURES counts them). The decode is finished before the first token and
never waits for this. The prompt has the layout of every model step of a JD (coach.prompting): the
system prompt and the JD as quoted data first, the slot's question last.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from coach.decode import Decode
from coach.prompting import SYSTEM, TASK_RESERVE, JDContext, context_text, decode_summary, fit_jd, jd_context, messages
from models.quoting import defuse
from models.runtime import ChatMessage, TextModel

__all__ = ["SYSTEM", "SLOTS", "build_messages", "decode_summary", "fit_jd", "quote_jd", "stream_read"]

@dataclass(frozen=True, slots=True)
class Slot:
    id: str
    title: str
    question: str
    max_tokens: int = 90
    source: str = "model"  # "model", or "decode" for a slot written from the decode without the model


N_LIKELY = 3
QUESTIONS_SLOT = Slot("questions", "Questions this JD will likely produce", "", 0, source="decode")
SLOTS = (
    QUESTIONS_SLOT,
    Slot("hidden", "What it expects but does not say",
         "Name one or two things this role will expect that the job description does not say outright (for example "
         "being on call, explaining results to non-engineers, owning a metric). One sentence each, and end each "
         "sentence with the exact words of the job description that imply it, in double quotes. Do not repeat its "
         "bullet points.", 110),
)
MODEL_SLOTS = tuple(s for s in SLOTS if s.source == "model")
READ_GUARD_FAILURES: Counter[str] = Counter()


@dataclass(frozen=True, slots=True)
class ReadNotice:
    text: str


@dataclass(frozen=True, slots=True)
class SlotStarted:
    slot: Slot


@dataclass(frozen=True, slots=True)
class SlotText:
    slot: Slot
    text: str


@dataclass(frozen=True, slots=True)
class SlotDone:
    slot: Slot
    text: str
    finish_reason: str | None


ReadEvent = ReadNotice | SlotStarted | SlotText | SlotDone

def quote_jd(text: str) -> str:
    """The JD as inert data: every delimiter tag of ours inside it is defused (models.quoting)."""
    return defuse(text)


def _task(slot: Slot) -> str:
    return f"Coach's question: {slot.question}"


def build_messages(jd_text: str, decode: Decode, slot: Slot) -> list[ChatMessage]:
    # The system prompt, the JD and the summary come first and are identical for every slot (and for the
    # interview's tailoring and feedback), so the runtime evaluates them once.
    return messages(JDContext(context_text(jd_text, decode), len(jd_text), len(decode.text)), _task(slot))


def read_reserve(model: TextModel, slots: tuple[Slot, ...]) -> int:
    """Tokens the read needs after the JD: its longest slot question (by tokens) and reply."""
    asked = [model.count_tokens(_task(s)) + s.max_tokens for s in slots if s.source == "model"]
    return max(TASK_RESERVE, max(asked, default=0) + 16)


def likely_lines(decode: Decode, n: int = N_LIKELY) -> list[str]:
    from coach.brief import likely_questions  # the brief plans them the same way; it imports more than the read

    return [f"“{question.text}” (the JD: “{span}”)" for _, question, span in likely_questions(decode, n=n)]


_QUOTE = re.compile(r"[“\"]([^”\"]{3,})[”\"]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][”\"])\s+|\n+")


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w%$+#/.-]+", " ", text.lower()).split()).strip(" .-")


def cited(sentence: str, jd_text: str) -> str | None:
    """Why a sentence of the model's may not be shown, or None: it must quote the JD, and every quote
    (of two words or more) must be words the JD really has."""
    quotes = [q for q in _QUOTE.findall(sentence) if len(_plain(q).split()) >= 2]
    if not quotes:
        return "no quote of the JD"
    jd = _plain(jd_text)
    if any(_plain(q) not in jd for q in quotes):
        return "quote not in the JD"
    return None


def _guarded(completion, jd_text: str, slot: Slot) -> Iterator[str]:
    """The model's sentences that cite the JD, each released whole once it ends."""
    pending = ""
    for token in completion:
        pending += token.text
        *done, pending = _SENTENCE_END.split(pending)
        for sentence in done:
            if sentence.strip():
                yield from _release(sentence.strip(), jd_text, slot)
    if pending.strip():
        yield from _release(pending.strip(), jd_text, slot)


def _release(sentence: str, jd_text: str, slot: Slot) -> Iterator[str]:
    reason = cited(sentence, jd_text)
    if reason is None:
        yield sentence + " "
    else:
        READ_GUARD_FAILURES[f"{slot.id}: {reason}"] += 1


def stream_read(model: TextModel | None, decode: Decode, *, cancel: threading.Event | None = None,
                slots: tuple[Slot, ...] = SLOTS) -> Iterator[ReadEvent]:
    """The read's events. `model` may be None when every slot is written from the decode (the CLI shows
    the likely questions before it loads the model)."""
    if model is None:
        if any(s.source == "model" for s in slots):
            raise ValueError("the model's slots need a model")
        context = None
    else:
        context = jd_context(model, decode, reserve=read_reserve(model, slots))
    if context is not None and model is not None and context.cut:
        yield ReadNotice(
            f"The model read the first {context.jd_chars:,} of {context.total_chars:,} characters (its context "
            f"holds {model.n_ctx:,} tokens); it left out the rest. The decode above covers the whole text."
        )
    if not decode.clusters:
        yield ReadNotice("No competencies were found, so there is nothing for the model to read into.")
        return
    for slot in slots:
        if cancel is not None and cancel.is_set():
            return
        yield SlotStarted(slot)
        if slot.source == "decode":
            lines = likely_lines(decode)
            text = "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))
            yield SlotText(slot, "\n" + text)
            yield SlotDone(slot, text, "decode")
            continue
        assert model is not None and context is not None
        completion = model.stream(messages(context, _task(slot)), max_tokens=slot.max_tokens, temperature=0.0,
                                  stop=["\n\n", "<job_description>"], cancel=cancel, shared_prefix=context.text)
        shown = []
        with completion:
            for sentence in _guarded(completion, decode.text, slot):
                shown.append(sentence)
                yield SlotText(slot, sentence)
        if completion.truncated:
            yield ReadNotice("The model saw only part of the job description for this note.")
        if not shown and completion.finish_reason != "cancelled":
            text = "(nothing the model said could be tied to words of the JD, so none of it is shown)"
            yield SlotText(slot, text)
            yield SlotDone(slot, text, "guarded")
            continue
        yield SlotDone(slot, "".join(shown).strip(), completion.finish_reason)
