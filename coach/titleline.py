"""Is a JD's first line its title? A small logistic regression over the line's words and shape, fitted on the
titles and body lines of real postings (`scripts/fit_title_line.py`, weights in `coach/data/title_line.json`).

Users paste the title as the first line, or start with a heading, a company name or a job board's fact line
("Snap Inc. · Los Angeles · full-time"). A list of role nouns missed a tenth of the corpus's titles
("Inference Specialist", "Director, MLOps Engineering", "LLM Evaluator") and took fact lines that end in a
role for titles; the fitted check reads both from data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from coach.fitted import load_fitted

TITLE_FILE = Path(__file__).resolve().parent / "data" / "title_line.json"
MAX_CHARS, MAX_WORDS = 160, 20
_WORD = re.compile(r"[a-z][a-z0-9+#/&'-]*|\d+", re.IGNORECASE)
_SEPARATOR = re.compile(r"[·|•/]|\s[-–—]\s")
SHAPE_NAMES = ("words", "separators", "has_colon", "has_digit", "has_money", "starts_with_digit",
               "capitalised_share", "has_comma", "has_parenthesis", "all_caps")


def candidate(text: str) -> str | None:
    """The first non-empty line, bullets and Markdown marks stripped, when it can be a title at all: one line
    that ends no sentence, of a length titles have."""
    first = next((line.strip(" #*-•\t") for line in text.splitlines() if line.strip(" #*-•\t")), "")
    if not first or len(first) > MAX_CHARS or len(first.split()) > MAX_WORDS or first.endswith((".", ":", "?", "!")):
        return None
    return first


def words(line: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(line)]


def shape(line: str) -> list[float]:
    tokens = line.split()
    alpha = [t for t in tokens if t[:1].isalpha()]
    return [len(tokens) / MAX_WORDS, min(len(_SEPARATOR.findall(line)), 4) / 4, float(":" in line),
            float(any(ch.isdigit() for ch in line)), float("$" in line or "€" in line or "£" in line),
            float(line[:1].isdigit()), sum(t[:1].isupper() for t in alpha) / max(len(alpha), 1),
            float("," in line), float("(" in line), float(line.isupper())]


def features(line: str, vocabulary: dict[str, int]) -> np.ndarray:
    x = np.zeros(len(vocabulary) + len(SHAPE_NAMES), dtype=np.float32)
    for word in set(words(line)):
        column = vocabulary.get(word)
        if column is not None:
            x[column] = 1.0
    x[len(vocabulary):] = shape(line)
    return x


@dataclass(frozen=True, slots=True, eq=False)  # arrays do not compare as one truth value: identity equality
class TitleCheck:
    """A fitted title check: the shipped one (`shipped()`), or one a fitting script fits on part of the corpus."""

    vocabulary: dict[str, int]
    coef: np.ndarray
    intercept: float
    threshold: float

    def probability(self, line: str) -> float:
        return 1 / (1 + math.exp(-float(features(line, self.vocabulary) @ self.coef + self.intercept)))

    def detect(self, text: str) -> str | None:
        """The title a user pasted as the JD's first line ("Senior Machine Learning Engineer"), if any."""
        first = candidate(text)
        return first if first is not None and self.probability(first) >= self.threshold else None


@cache
def shipped() -> TitleCheck:
    return load_fitted(TITLE_FILE, "the title check", "scripts/fit_title_line.py", lambda f: TitleCheck(
        dict(f["vocabulary"]), np.asarray(f["coef"], dtype=np.float32), float(f["intercept"]), float(f["threshold"])))


def title_probability(line: str) -> float:
    return shipped().probability(line)


def detect_title(text: str) -> str | None:
    """The title a user pasted as the JD's first line, if any, by the shipped check."""
    return shipped().detect(text)
