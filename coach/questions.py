"""The question bank: a versioned data file grounded in the seeds."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

KINDS = ("behavioural", "technical", "system_design")
LEVEL_ORDER = {"any": 0, "L4": 1, "L5": 2, "Staff": 3}


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    cluster: str
    kind: str
    level: str
    text: str
    source: str
    look_for: tuple[str, ...]


@cache
def load_bank() -> tuple[Question, ...]:
    text = resources.files("coach").joinpath("data", "questions.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return tuple(
        Question(id=q["id"], cluster=q["cluster"], kind=q["kind"], level=q.get("level", "any"), text=q["text"],
                 source=q.get("source", ""), look_for=tuple(q.get("look_for", ())))
        for q in data["question"]
    )


def bank_version() -> str:
    text = resources.files("coach").joinpath("data", "questions.toml").read_text(encoding="utf-8")
    return str(tomllib.loads(text)["version"])


def fits(question: Question, level: str | None) -> bool:
    """A question fits a JD's level when it is aimed at that level or below."""
    if level is None or question.level == "any":
        return True
    return LEVEL_ORDER[question.level] <= LEVEL_ORDER.get(level, 3)
