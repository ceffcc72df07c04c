"""The model's read of a JD: what a coach would add to the deterministic decode.

Short slots, each its own small generation, streamed: "likely interview focus", then
"unstated expectations". The decode is finished before the first token and never waits
for this. The prompt has the layout of every model step of a JD (coach.prompting): the
system prompt and the JD as quoted data first, the slot's question last.
"""

from __future__ import annotations

import threading
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


SLOTS = (
    Slot("focus", "Likely interview focus",
         "In at most two sentences, say what the interviews for this role will most likely focus on, and why."),
    Slot("hidden", "Unstated expectations",
         "In at most two sentences, name one or two things this role will expect that the job description does not "
         "say outright (for example being on call, explaining results to non-engineers, owning a metric). Do not "
         "repeat its bullet points."),
)


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
    return max(TASK_RESERVE, max(model.count_tokens(_task(s)) + s.max_tokens for s in slots) + 16)


def stream_read(model: TextModel, decode: Decode, *, cancel: threading.Event | None = None,
                slots: tuple[Slot, ...] = SLOTS) -> Iterator[ReadEvent]:
    context = jd_context(model, decode, reserve=read_reserve(model, slots))
    if context.cut:
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
        completion = model.stream(messages(context, _task(slot)), max_tokens=slot.max_tokens, temperature=0.0,
                                  stop=["\n\n", "<job_description>"], cancel=cancel, shared_prefix=context.text)
        with completion:
            for token in completion:
                if token.text:
                    yield SlotText(slot, token.text)
        if completion.truncated:
            yield ReadNotice("The model saw only part of the job description for this note.")
        yield SlotDone(slot, completion.text.strip(), completion.finish_reason)
