"""Goodput: the share of interactions (a question asked, feedback on an answer, the read of a JD) that met
every latency target of the profile that applies to that interaction, with a Wilson interval on the share.

Percentiles say how slow the slow moments are; goodput says how often a user got everything on time. One
feedback interaction that scored in 50 ms but showed its first word after 3 s is not good, however fast its
score was: an interaction counts only when all of its targets are met.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Which of a profile's thresholds apply to which kind of interaction (seconds the user waits, from the
# moment they acted): the keys a profile's [models."<id>"] table uses.
KIND_TARGETS: dict[str, tuple[str, ...]] = {
    "question": ("first_question_word_s",),  # interview start / answer submitted -> the question's first word
    "feedback": ("submit_to_score_s", "first_feedback_word_s"),  # submit -> score, submit -> first model word
    "read": ("read_first_word_s",),  # decode done -> the first word of the model's read
}

# The flow benchmark's samples (bench/test_flows.py), one list per measure, one entry per round: which
# interaction each belongs to. The alternatives of one flow (a prepared or a cold question, a JD read for
# the first time or reopened) are interactions a user meets, so each counts, under its own variant.
FLOW_INTERACTIONS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("read", "first open", {"read_first_word_s": "read_first_word_first_open_s"}),
    ("read", "reopened", {"read_first_word_s": "read_first_word_reopen_s"}),
    ("question", "prepared", {"first_question_word_s": "first_question_prefetched_s"}),
    ("question", "cold", {"first_question_word_s": "first_question_cold_s"}),
    ("feedback", "after a prepared question", {"submit_to_score_s": "submit_to_score_s",
                                               "first_feedback_word_s": "submit_to_first_feedback_word_s"}),
    ("feedback", "answer read as typed", {"submit_to_score_s": "submit_to_score_typed_s",
                                          "first_feedback_word_s": "submit_to_first_feedback_word_typed_s"}),
    ("feedback", "submitted mid-draft", {"submit_to_score_s": "submit_to_score_mid_draft_s",
                                         "first_feedback_word_s": "submit_to_first_feedback_word_mid_draft_s"}),
)


@dataclass(frozen=True, slots=True)
class Interaction:
    kind: str  # a key of KIND_TARGETS
    variant: str
    round: int
    measures: dict[str, float]  # seconds, keyed like the profile's targets

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "variant": self.variant, "round": self.round,
                "measures": {k: round(v, 6) for k, v in self.measures.items()}}


def flow_interactions(samples: Mapping[str, Sequence[float]]) -> list[Interaction]:
    """The per-interaction records of a flow benchmark run, from its per-round samples."""
    rounds = {len(samples[key]) for _, _, keys in FLOW_INTERACTIONS for key in keys.values()}
    if len(rounds) != 1:
        raise ValueError(f"the flow samples disagree on the number of rounds: {sorted(rounds)}")
    return [Interaction(kind, variant, i, {target: float(samples[key][i]) for target, key in keys.items()})
            for i in range(rounds.pop()) for kind, variant, keys in FLOW_INTERACTIONS]


def wilson(good: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% for z = 1.96): honest at 0/n and n/n, unlike p ± z·se."""
    if n == 0:
        return 0.0, 1.0
    p = good / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Goodput:
    good: int
    n: int
    low: float
    high: float
    untargeted: int  # interactions of a kind the profile sets no target for: not counted in n
    by_variant: dict[str, list[int]] = field(default_factory=dict)  # "kind (variant)" -> [good, n]
    misses: dict[str, int] = field(default_factory=dict)  # target -> interactions that missed it
    targets: dict[str, float] = field(default_factory=dict)

    @property
    def share(self) -> float | None:
        return self.good / self.n if self.n else None

    def describe(self) -> str:
        if not self.n:
            return f"goodput: no interaction has a target in this profile ({self.untargeted} untargeted)"
        text = (f"goodput {self.good}/{self.n} = {self.share:.0%} [{self.low:.0%}, {self.high:.0%}] "
                f"(Wilson 95%) of interactions met every target that applies")
        return text + (f"; {self.untargeted} had none" if self.untargeted else "")

    def to_figures(self) -> dict[str, Any]:
        """For a result's figures: the share as a scalar (so --compare shows it), the rest beside it."""
        return {"goodput": self.share, "goodput_interval": [round(self.low, 4), round(self.high, 4)],
                "goodput_good": self.good, "goodput_n": self.n, "goodput_untargeted": self.untargeted,
                "goodput_by_variant": self.by_variant, "goodput_misses": self.misses, "goodput_targets": self.targets}


def missed(interaction: Interaction, thresholds: Mapping[str, float]) -> list[str]:
    """The targets of the profile that apply to this interaction and that it did not meet. A target that
    applies but whose measure the record lacks is an error (the benchmark forgot to time it), never a pass."""
    out = []
    for key in KIND_TARGETS[interaction.kind]:
        if key not in thresholds:
            continue
        if key not in interaction.measures:
            raise ValueError(f"a {interaction.kind} interaction has no {key}, which the profile's target applies to")
        if not interaction.measures[key] <= thresholds[key]:  # a NaN measure misses
            out.append(key)
    return out


def goodput(interactions: Sequence[Interaction], thresholds: Mapping[str, float]) -> Goodput:
    """How many interactions met all the targets (of `thresholds`, a profile's table for the model) that
    apply to them; an interaction of a kind with no target in the profile is left out and counted apart."""
    good = n = untargeted = 0
    by_variant: dict[str, list[int]] = {}
    misses: dict[str, int] = {}
    for interaction in interactions:
        if not any(key in thresholds for key in KIND_TARGETS[interaction.kind]):
            untargeted += 1
            continue
        failed = missed(interaction, thresholds)
        tally = by_variant.setdefault(f"{interaction.kind} ({interaction.variant})", [0, 0])
        n += 1
        tally[1] += 1
        if not failed:
            good += 1
            tally[0] += 1
        for key in failed:
            misses[key] = misses.get(key, 0) + 1
    low, high = wilson(good, n)
    targets = {k: float(thresholds[k]) for keys in KIND_TARGETS.values() for k in keys if k in thresholds}
    return Goodput(good, n, low, high, untargeted, by_variant, misses, targets)
