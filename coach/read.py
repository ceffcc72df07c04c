"""The read of a JD: what a coach would add to the deterministic decode.

First, at once and without the model, the questions this JD will likely produce, each tied to
the JD span that asks for it (the question bank, as the brief plans them). Then the model's
words: for the JD lines behind the first questions, one sentence each on what the line expects
of you but does not say. A sentence not addressed to you, speaking of "the candidate" or only
repeating the line is dropped before it is shown (READ_GUARD_FAILURES counts them). The decode
is finished before the first token and never waits for this. The prompt has the layout of every
model step of a JD (coach.prompting): the system prompt and the JD as quoted data first, the
slot's question last.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from coach.decode import ClusterResult, Decode
from coach.prompting import SYSTEM, TASK_RESERVE, JDContext, context_text, decode_summary, fit_jd, jd_context, messages
from coach.questions import Question
from coach.sentences import THIRD_PERSON, sentence_end
from models.quoting import defuse
from models.runtime import ChatMessage, Completion, TextModel

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
    # Asked of one JD line at a time, so what the model says is tied to words the JD has by construction
    # (asked for quotes, the 1.5B model quoted nothing and echoed the prompt's examples).
    Slot("hidden", "What it expects but does not say",
         "The job description says: “{line}”. In one sentence that starts with \"You\", say what this line expects "
         "of you that it does not spell out: who you would answer to, what you would be measured on, or what you "
         "would be on the hook for. Do not repeat its words.", 50),
)
N_IMPLIED = 2
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


def _task(slot: Slot, line: str = "") -> str:
    return f"Coach's question: {slot.question.replace('{line}', line)}"


def build_messages(jd_text: str, decode: Decode, slot: Slot) -> list[ChatMessage]:
    # The system prompt, the JD and the summary come first and are identical for every slot (and for the
    # interview's tailoring and feedback), so the runtime evaluates them once.
    return messages(JDContext(context_text(jd_text, decode), len(jd_text), len(decode.text)), _task(slot))


def read_reserve(model: TextModel, slots: tuple[Slot, ...]) -> int:
    """Tokens the read needs after the JD: its longest slot question (by tokens) and reply."""
    from coach.brief import SPAN_CHARS

    asked = [model.count_tokens(_task(s, "x " * SPAN_CHARS)) + s.max_tokens for s in slots if s.source == "model"]
    return max(TASK_RESERVE, max(asked, default=0) + 16)


Likely = list[tuple[ClusterResult, Question, str]]


def plan_likely(decode: Decode) -> Likely:
    """The likely questions, each with its cluster and the JD span that asks for it: planned once per read,
    since both the questions slot and the model's JD lines come from it."""
    from coach.brief import likely_questions  # the brief plans them the same way; it imports more than the read

    return likely_questions(decode, n=N_LIKELY)


def likely_lines(likely: Likely) -> list[str]:
    return [f"“{question.text}” (the JD: “{span}”)" for _, question, span in likely]


def implied_lines(likely: Likely, n: int = N_IMPLIED) -> list[str]:
    """The JD lines the model is asked about: those of the likely questions, heaviest cluster first."""
    lines: list[str] = []
    for _, _, span in likely:
        if span not in lines:
            lines.append(span)
    return lines[:n]


_CONTENT = re.compile(r"[a-z][a-z'-]{3,}")


def unfit(sentence: str, line: str) -> str | None:
    """Why a sentence of the model's about a JD line may not be shown, or None."""
    if not re.match(r"you\b", sentence, re.IGNORECASE):
        return "not addressed to you"
    if THIRD_PERSON.search(sentence):
        return "speaks of the candidate"
    words = set(_CONTENT.findall(sentence.lower())) - {"you", "your", "will", "would", "this", "that", "with"}
    if words and len(words & set(_CONTENT.findall(line.lower()))) >= 0.7 * len(words):
        return "repeats the line"
    return None


def _first_sentence(completion: Completion) -> str:
    text = ""
    for token in completion:
        text += token.text
        if sentence_end(text.lstrip()) is not None:
            break
    text = text.strip()
    return text[:sentence_end(text)].strip()


def stream_read(model: TextModel | None, decode: Decode, *, cancel: threading.Event | None = None,
                slots: tuple[Slot, ...] = SLOTS, likely: Likely | None = None) -> Iterator[ReadEvent]:
    """The read's events. `model` may be None when every slot is written from the decode (the CLI shows
    the likely questions before it loads the model). `likely` is `plan_likely(decode)` when the caller
    has it already (the CLI reads in two calls); otherwise it is planned here, once."""
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
    if likely is None:
        likely = plan_likely(decode)
    for slot in slots:
        if cancel is not None and cancel.is_set():
            return
        yield SlotStarted(slot)
        if slot.source == "decode":
            lines = likely_lines(likely)
            text = "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))
            yield SlotText(slot, "\n" + text)
            yield SlotDone(slot, text, "decode")
            continue
        assert model is not None and context is not None
        shown: list[str] = []
        finish = None
        for line in implied_lines(likely):
            if cancel is not None and cancel.is_set():
                break
            completion = model.stream(messages(context, _task(slot, line)), max_tokens=slot.max_tokens,
                                      temperature=0.0, stop=["\n\n", "<job_description>"], cancel=cancel,
                                      shared_prefix=context.text)
            with completion:
                sentence = _first_sentence(completion)
            finish = completion.finish_reason
            if completion.truncated:
                yield ReadNotice("The model saw only part of the job description for this note.")
            reason = unfit(sentence, line) if sentence else "nothing written"
            if reason is None and any(old.endswith(f": {sentence}") for old in shown):
                reason = "said already"  # the small model tends to give every line the same answer
            if reason is not None:
                READ_GUARD_FAILURES[f"{slot.id}: {reason}"] += 1
                continue
            shown.append(f"\n- “{line}”: {sentence}")
            yield SlotText(slot, shown[-1])
        if not shown and not (cancel is not None and cancel.is_set()):
            text = "(nothing the model said could be tied to words of the JD, so none of it is shown)"
            yield SlotText(slot, text)
            yield SlotDone(slot, text, "guarded")
            continue
        yield SlotDone(slot, "".join(shown).strip(), "cancelled" if cancel is not None and cancel.is_set() else finish)
