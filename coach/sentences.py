"""Sentences of an answer and the lexical features the fitted classifiers read.

Shared by the runtime (`coach.rubric`) and the fitting script (`scripts/fit_rubric.py`), so
a feature is computed the same way when it is learned and when it is used. No feature
depends on a sentence's position: reordering an answer's sentences cannot change what
each sentence is credited with.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# A sentence ends at . ! ? (with any closing quotes or brackets after it) or a line break; spoken run-ons are
# cut at ", and then" / ", so" joints too (a listener hears a new sentence there) when a piece would otherwise
# run past 45 words.
_CLOSE = r"[\"'”’)\]]*"
_END = re.compile(rf"(?<=[.!?])({_CLOSE})\s+|\n+")
# While text streams in, a sentence has ended only once something follows its stop: "3.5" is no end.
_STREAM_END = re.compile(rf"[.!?]{_CLOSE}\s|\n")
_JOINT = re.compile(r",?\s+(?=(?:and then|and so|so|but|and I|and we|and that|then|after that|which meant)\b)",
                    re.IGNORECASE)
_TOKEN = re.compile(r"\$?\d+(?:[.,]\d+)*(?:%|x\b|ms\b|s\b|k\b|m\b|b\b)?|[a-z][a-z0-9+#'\-]*", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])\$?\d+(?:[.,]\d+)*\s?(?:%|x\b|ms\b|s\b|k\b|m\b|b\b|gb\b|tb\b|qps\b|rps\b)?",
                     re.IGNORECASE)
LONG_RUN = 45
# Coaching speaks to the user: a model sentence about "the candidate" (or "a strong candidate") or in the third
# person is the model narrating, and both the read and the feedback drop it.
THIRD_PERSON = re.compile(r"\b(?:(?:the|a|an|this|strong|ideal|good)\s+candidate|the interviewee|the speaker|"
                          r"(?:they|he|she) should)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with their character spans in `text` (text[start:end] == sentence.text)."""
    out: list[Sentence] = []
    position = 0
    pieces: list[tuple[int, int]] = []
    for match in _END.finditer(text):
        pieces.append((position, match.start() + len(match.group(1) or "")))
        position = match.end()
    pieces.append((position, len(text)))
    for start, end in pieces:
        for s, e in _cut_run_on(text, start, end):
            chunk = text[s:e]
            stripped = chunk.strip()
            if re.search(r"\w", stripped):
                offset = s + len(chunk) - len(chunk.lstrip())
                out.append(Sentence(stripped, offset, offset + len(stripped)))
    return out


def sentence_end(text: str) -> int | None:
    """Where the rest begins after the first finished sentence or line of `text` (streamed model output), or
    None while none has finished. A sentence is finished by . ! or ?, any closing quotes or brackets, and the
    whitespace after them; a line break finishes one too. The read and the feedback cut model text here."""
    match = _STREAM_END.search(text)
    return match.end() if match else None


def _cut_run_on(text: str, start: int, end: int) -> list[tuple[int, int]]:
    if len(text[start:end].split()) <= LONG_RUN:
        return [(start, end)]
    spans, position = [], start
    for match in _JOINT.finditer(text, start, end):
        if len(text[position:match.start()].split()) >= 6:
            spans.append((position, match.start()))
            position = match.end()
    spans.append((position, end))
    return spans


# English closed-class words (articles, pronouns, prepositions, conjunctions, auxiliaries, quantifiers): a fitted
# vocabulary's term that starts or ends with one ("systems and", "you will") can predict, but it explains nothing
# to a reader, and the decode shows its strongest terms as the reason for a call. Not fitted: a grammar's list.
FUNCTION_WORDS = frozenset("""
a an the this that these those each every any some all both either neither no such what which whose another other
i me my mine we us our ours you your yours he him his she her hers it its they them their theirs who whom itself
themselves ourselves yourself yourselves one ones
about above across after against along among around as at before behind below beside besides between beyond by
despite down during except for from in inside into like near of off on onto out over per since than through
throughout to toward towards under until up upon via with within without
and or but nor so yet if because although though while whereas whether unless once then
am is are was were be been being have has had having do does did doing will would shall should can could may might
must also not very just too there here where when why how etc much many more most few less least several own
""".split())


def is_content_term(term: str) -> bool:
    """A vocabulary term (a word or a word pair) with no function word at either edge."""
    words = term.split()
    return not any(w.split("'")[0] in FUNCTION_WORDS for w in (words[0], words[-1]))


def normalise_token(token: str) -> str:
    lower = token.lower()
    if lower[:1].isdigit() or lower[:1] == "$":
        return "<pct>" if lower.endswith("%") else "<num>"
    return lower


def tokens(text: str) -> list[str]:
    return [normalise_token(t) for t in _TOKEN.findall(text)]


@lru_cache(maxsize=8192)
def ngrams(text: str) -> frozenset[str]:
    """Unigrams and bigrams: the terms a fitted vocabulary is chosen from."""
    return _with_bigrams(tokens(text))


def _with_bigrams(words: list[str]) -> frozenset[str]:
    return frozenset(_terms(words))


def _terms(words: list[str]) -> list[str]:
    """Every unigram and bigram occurrence, as fitted vocabularies spell them ("word pair")."""
    return [*words, *(f"{a} {b}" for a, b in zip(words, words[1:]))]


# A negation's scope: from the negating word to the end of its clause (Das & Chen's marking, as in sentiment
# work). A linear model over plain n-grams reads "chose not to skip the evaluation" as "skip the evaluation";
# marked, the words after "not" are other features ("~skip"), which the training sentences then weigh.
_NEGATOR = re.compile(r"^(?:not|no|never|without|nobody|nothing|none|neither|nor|cannot|[a-z]+n't)$")
_CLAUSE_BREAK = re.compile(r"[,;:!?.](?=\s|$)|[()\[\]—–]|\s-\s|"
                           r"\b(?:but|although|though|however|because|so|until|unless|except|which|while)\b",
                           re.IGNORECASE)


def scoped_tokens(text: str) -> list[str]:
    """tokens(), with every token inside a negation's scope marked by a leading '~'."""
    text = text.replace("’", "'")
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text)]
    out: list[str] = []
    negated, next_break = False, 0
    for match in _TOKEN.finditer(text):
        while next_break < len(breaks) and breaks[next_break] <= match.start():
            negated, next_break = False, next_break + 1
        token = normalise_token(match.group(0))
        out.append(f"~{token}" if negated else token)
        negated = negated or bool(_NEGATOR.match(token))
    return out


@lru_cache(maxsize=8192)
def scoped_ngrams(text: str) -> frozenset[str]:
    """ngrams() over scoped_tokens(): the rubric's sentence classifiers read these."""
    return _with_bigrams(scoped_tokens(text))


# Shape features: generic properties of a sentence, named so the rationale can say what moved a grade.
SHAPE_FEATURES = ("has_number", "has_percent", "n_numbers_log", "i_count", "we_count", "would_modal", "past_ed",
                  "question_mark", "n_words_log", "negation")
_I = re.compile(r"\b(?:i|i'm|i've|i'd|me|my|myself)\b", re.IGNORECASE)
_WE = re.compile(r"\b(?:we|we're|we've|our|us)\b", re.IGNORECASE)
_WOULD = re.compile(r"\b(?:would|i'd|we'd|could|should|will|i'll|we'll)\b", re.IGNORECASE)
_PAST = re.compile(r"\b[a-z]{3,}ed\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:not|no|never|without|didn't|don't|doesn't|wasn't|weren't|can't|cannot|won't|n't)\b",
                       re.IGNORECASE)


def shape(text: str) -> np.ndarray:
    numbers = _NUMBER.findall(text)
    n_words = max(len(text.split()), 1)
    return np.array([
        float(bool(numbers)), float("%" in text), math.log1p(len(numbers)),
        min(len(_I.findall(text)), 3) / 3, min(len(_WE.findall(text)), 3) / 3, float(bool(_WOULD.search(text))),
        min(len(_PAST.findall(text)), 3) / 3, float(text.rstrip().endswith("?")), math.log(n_words) / 4,
        float(bool(_NEGATION.search(text))),
    ], dtype=np.float32)


def numbers_in(text: str) -> list[str]:
    return [n.strip() for n in _NUMBER.findall(text) if n.strip()]


def bag(texts: Sequence[str], vocabulary: dict[str, int], *, scoped: bool = False) -> np.ndarray:
    """Binary presence of each vocabulary term in each text (terms of scoped_ngrams when `scoped`)."""
    out = np.zeros((len(texts), len(vocabulary)), dtype=np.float32)
    terms_of = scoped_ngrams if scoped else ngrams
    for row, text in enumerate(texts):
        for term in terms_of(text):
            column = vocabulary.get(term)
            if column is not None:
                out[row, column] = 1.0
    return out


def term_counts(texts: Sequence[str], vocabulary: dict[str, int]) -> np.ndarray:
    """log(1 + how often) each vocabulary term (a word or a word pair) occurs in each text.

    What a posting asks for repeatedly is its emphasis; presence alone reads a posting that mentions
    training once like one built around it."""
    out = np.zeros((len(texts), len(vocabulary)), dtype=np.float32)
    for row, text in enumerate(texts):
        for term in _terms(tokens(text)):
            column = vocabulary.get(term)
            if column is not None:
                out[row, column] += 1.0
    return np.log1p(out)


def lexical_matrix(texts: Sequence[str], vocabulary: dict[str, int]) -> np.ndarray:
    shapes = np.stack([shape(t) for t in texts]) if texts else np.zeros((0, len(SHAPE_FEATURES)), np.float32)
    return np.hstack([bag(texts, vocabulary, scoped=True), shapes])


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def join(parts: Iterable[str]) -> str:
    return " ".join(p for p in parts if p)
