"""Delivery feedback on a spoken answer, from its transcript's word timestamps. Pure: no I/O, no model.

What an interviewer hears besides the content: pace (words per minute), filler words, long
pauses, the length against what the question's kind calls for, and where the time went —
per STAR element for a behavioural answer, per design part for a system-design one — using
the sentence roles the rubric already gave (`coach.rubric`).

The reference figures here (pace range, pause length, target lengths) are set, not fitted:
no recordings of graded spoken answers exist to fit them on. Each is shown as a reference,
with that said, never as a grade; the rubric's score does not read them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from coach.sentences import split_sentences

# Conversational English pace in interviews; below it sounds hesitant, above it rushed. A reference, not a fit.
PACE_RANGE = (120.0, 170.0)
# A silence between two words at least this long is heard as a pause rather than a breath.
LONG_PAUSE = 2.0
# (shortest, longest) seconds of a good answer, per question kind: about 2 minutes for a behavioural
# answer (issue 15); a technical explanation shorter; one system-design answer longer.
TARGETS: dict[str, tuple[float, float, str]] = {
    "behavioural": (90.0, 180.0, "about 2 minutes"),
    "technical": (45.0, 150.0, "1 to 2 minutes"),
    "system_design": (120.0, 420.0, "2 to 7 minutes"),
}
# Fillers said alone; "like" only counts when set off by commas ("it was, like, slow"), not "I'd like to".
FILLER_WORDS = {"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "mm", "basically", "literally"}
FILLER_PHRASES = ("you know", "i mean", "sort of", "kind of")
_PHRASE = re.compile(r"(?<![\w'])(" + "|".join(p.replace(" ", r",?\s+") for p in FILLER_PHRASES) + r")(?![\w'])",
                     re.IGNORECASE)
_LIKE = re.compile(r"(?:,\s*like\b|\blike,)", re.IGNORECASE)


class TimedWord(Protocol):
    text: str
    start: float
    end: float


@dataclass(slots=True)
class Pause:
    at: float  # seconds from the start of the recording
    seconds: float
    after: str  # the words just before it, to find it in the answer


@dataclass(slots=True)
class Delivery:
    words: int
    speaking_seconds: float  # first word to last word
    words_per_minute: float
    pace: str  # "slow", "conversational", "fast"
    fillers: dict[str, int]
    fillers_per_minute: float
    pauses: list[Pause]
    length: str  # "short", "on target", "long"
    target: tuple[float, float, str]
    kind: str
    time_by_role: dict[str, float]  # criterion id (or "other", "unplaced") -> seconds
    role_labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Delivery:
        values = dict(data)
        values["pauses"] = [Pause(**p) for p in data.get("pauses", [])]
        values["target"] = tuple(data["target"])
        return cls(**values)

    @property
    def filler_count(self) -> int:
        return sum(self.fillers.values())

    def lines(self) -> list[str]:
        """What the CLI and the app show beside the rubric: one line per aspect."""
        low, high = PACE_RANGE
        out = [f"Pace: {self.words_per_minute:.0f} words per minute over {_clock(self.speaking_seconds)}, "
               f"{self.pace} (conversational is about {low:.0f}–{high:.0f}; a reference, not a grade)."]
        if self.fillers:
            listed = ", ".join(f"“{w}” ×{n}" for w, n in sorted(self.fillers.items(), key=lambda kv: -kv[1]))
            out.append(f"Fillers: {self.filler_count} ({self.fillers_per_minute:.1f} a minute): {listed}.")
        else:
            out.append("Fillers: none heard.")
        if self.pauses:
            longest = max(self.pauses, key=lambda p: p.seconds)
            out.append(f"Long pauses (≥ {LONG_PAUSE:.0f} s): {len(self.pauses)}; the longest {longest.seconds:.1f} s "
                       f"at {_clock(longest.at)}, after “{longest.after}”.")
        else:
            out.append(f"Long pauses (≥ {LONG_PAUSE:.0f} s): none.")
        low_t, high_t, said = self.target
        out.append(f"Length: {_clock(self.speaking_seconds)}, {self.length} for a {self.kind.replace('_', ' ')} answer "
                   f"({said}).")
        placed = {k: v for k, v in self.time_by_role.items() if v > 0}
        if placed:
            total = sum(placed.values()) or 1.0
            parts = [f"{self.role_labels.get(k, k)} {v:.0f} s ({v / total:.0%})" for k, v in
                     sorted(placed.items(), key=lambda kv: -kv[1])]
            out.append("Time spent: " + "; ".join(parts) + ".")
        return out


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(round(seconds % 60)):02d}" if seconds >= 60 else f"{seconds:.0f} s"


def count_fillers(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for match in _PHRASE.finditer(text):
        key = " ".join(re.split(r",?\s+", match.group(1).lower()))
        counts[key] = counts.get(key, 0) + 1
    for token in re.findall(r"[A-Za-z']+", text):
        word = token.lower()
        if word in FILLER_WORDS:
            key = {"umm": "um", "uhh": "uh", "uhm": "um", "erm": "er"}.get(word, word)
            counts[key] = counts.get(key, 0) + 1
    likes = len(_LIKE.findall(text))
    if likes:
        counts["like"] = likes
    return counts


def _word_count(words: Sequence[TimedWord]) -> int:
    return sum(1 for w in words if re.search(r"[A-Za-z0-9]", w.text))


def _offsets(text: str, words: Sequence[TimedWord]) -> list[int]:
    """Where each word starts in `text` (its transcript); -1 for a word not found in order."""
    out, cursor = [], 0
    for word in words:
        found = text.find(word.text, cursor)
        out.append(found)
        if found >= 0:
            cursor = found + len(word.text)
    return out


def time_by_role(text: str, words: Sequence[TimedWord], roles: dict[str, list[str]]) -> dict[str, float]:
    """Seconds per role: each sentence of the transcript spans from its first word's start to its last word's end,
    and goes to the role whose quoted sentences contain it (roles: role id -> sentence texts the rubric credited).
    A sentence no role quotes is "other". Quotes are matched by text, so an answer edited after transcribing
    still gets the time of the sentences it kept."""
    offsets = _offsets(text, words)
    result: dict[str, float] = {}
    for sentence in split_sentences(text):
        inside = [w for w, o in zip(words, offsets) if sentence.start <= o < sentence.end]
        if not inside:
            continue
        seconds = max(0.0, inside[-1].end - inside[0].start)
        norm = _norm(sentence.text)
        role = next((r for r, quotes in roles.items() if any(norm and norm in _norm(q) or _norm(q) in norm
                                                           for q in quotes if _norm(q))), "other")
        result[role] = round(result.get(role, 0.0) + seconds, 2)
    return result


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def analyse(text: str, words: Sequence[TimedWord], *, kind: str, roles: dict[str, list[str]] | None = None,
            role_labels: dict[str, str] | None = None) -> Delivery:
    """Delivery of one spoken answer: `text` is its transcript, `words` its timed words in order, `roles` the
    rubric's credited sentences per criterion (best criterion first for a sentence credited twice)."""
    if kind not in TARGETS:
        raise ValueError(f"unknown question kind {kind!r}")
    n = _word_count(words)
    spoken = [w for w in words if re.search(r"[A-Za-z0-9]", w.text)]
    seconds = max(0.0, spoken[-1].end - spoken[0].start) if spoken else 0.0
    wpm = n / (seconds / 60) if seconds > 0 else 0.0
    low, high = PACE_RANGE
    pace = "slow" if wpm < low else "fast" if wpm > high else "conversational"
    pauses = []
    for i in range(1, len(words)):
        gap = words[i].start - words[i - 1].end
        if gap >= LONG_PAUSE:
            before = " ".join(w.text for w in words[max(0, i - 4):i])
            pauses.append(Pause(at=round(words[i - 1].end, 2), seconds=round(gap, 2), after=before))
    fillers = count_fillers(text)
    target = TARGETS[kind]
    length = "short" if seconds < target[0] else "long" if seconds > target[1] else "on target"
    return Delivery(
        words=n, speaking_seconds=round(seconds, 2), words_per_minute=round(wpm, 1), pace=pace, fillers=fillers,
        fillers_per_minute=round(sum(fillers.values()) / (seconds / 60), 2) if seconds > 0 else 0.0, pauses=pauses,
        length=length, target=target, kind=kind, time_by_role=time_by_role(text, words, roles or {}),
        role_labels={**(role_labels or {}), "other": "not placed in the rubric"},
    )


def roles_from_rubric(rubric: Any) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The rubric's credited sentences per criterion, each sentence under its most probable criterion only."""
    best: dict[str, tuple[str, float]] = {}
    for criterion in rubric.criteria:
        for quote in criterion.evidence:
            if quote.text not in best or quote.probability > best[quote.text][1]:
                best[quote.text] = (criterion.id, quote.probability)
    roles: dict[str, list[str]] = {}
    for text, (criterion_id, _) in best.items():
        roles.setdefault(criterion_id, []).append(text)
    return roles, {c.id: c.label for c in rubric.criteria}
