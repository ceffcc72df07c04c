"""Is this text a job description at all? A résumé, a recruiter's email or another language is said to be
what it is, and decoded into nothing: no clusters, no level, no flavor claimed.

Each check reads a general property of the kind of text, not a phrase of one example: résumés
list past-tense achievements and speak in the first person, never to a reader; recruiters write
to a person about a call, or a letter with no list of requirements. Whether a text is English is fitted
on data (scripts/fit_language_check.py): the share of its words that real postings use, once it has enough
words to tell. None of the checks fires on any real posting of data/postings/ (a test checks it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator
from functools import cache
from pathlib import Path

from coach.fitted import load_fitted
from coach.segment import BULLET, Unit

LANGUAGE_FILE = Path(__file__).resolve().parent / "data" / "language_check.json"
# A word is a run of two or more letters (a single letter is a word in many languages, or a piece of "e.g.",
# so it tells none apart); in scripts written without spaces (Chinese, Japanese) each character is one.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_UNSPACED}]|[^\W\d_{_UNSPACED}]{{2,}}", re.UNICODE)
_PAST_START = re.compile(r"^(?:[A-Z][a-z]+ed|Built|Led|Ran|Wrote|Drove|Made|Grew|Cut|Shipped|Won|Taught|Took|Set|"
                         r"Brought|Sold|Spoke|Held|Began|Became)\b")
_DATE_RANGE = re.compile(r"\b(?:19|20)\d\d\s*(?:-|–|—|to)\s*(?:(?:19|20)\d\d|present|now|current)\b", re.IGNORECASE)
_RESUME_HEADING = re.compile(r"^\s*(?:education|work experience|professional experience|employment history|"
                             r"certifications|publications|references)\s*:?\s*$", re.IGNORECASE | re.MULTILINE)
# A résumé speaks of its writer ("I design...", "my team") and never to a reader. 115 of the 208 postings say
# no "you"; one says "I" ("What I'll be doing"), beside "you". A grade ("Engineer I", "level I") is no pronoun.
_FIRST_PERSON = re.compile(r"(?<![Ee]ngineer )(?<![Ss]cientist )(?<![Dd]eveloper )(?<![Ll]evel )\bI(?:'m|'ve|'d)?\b"
                           r"|\b[Mm]y\b")
_SECOND_PERSON = re.compile(r"\byou(?:r|rs|rself|'ll|'re|'ve|'d)?\b", re.IGNORECASE)
_GREETING = re.compile(r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon))\b[^\n]{0,40}[,!]?\s*$",
                       re.IGNORECASE | re.MULTILINE)
_OUTREACH = re.compile(r"\b(?:your (?:profile|background|experience|cv|resume)|came across|reach(?:ing)? out|"
                       r"(?:quick|short|brief) (?:call|chat)|would you be (?:open|interested)|let me know|"
                       r"are you open to|i(?:'m| am) a recruiter|on behalf of)\b", re.IGNORECASE)

# A letter's shape: a greeting on top and a sign-off at the end (no corpus posting has either). A letter with no
# list lists no requirements, whatever words its recruiter chose ("Interested? Reply with a time"); a list is two
# bulleted lines or more (a signature such as "– Tom" is one).
_SIGN_OFF = re.compile(r"^\s*(?:best|thanks|thank you|cheers|(?:kind |best |warm )?regards|sincerely|all the best)\b"
                       r"[^\n]{0,40}$", re.IGNORECASE | re.MULTILINE)


def tokens(text: str, spans: bool = False) -> Iterator:
    """The words of a text (or their (start, end) spans), accents composed first (NFC) so that a letter and its
    combining mark stay one word. Spans are of the composed text."""
    for match in _TOKEN.finditer(unicodedata.normalize("NFC", text)):
        yield match.span() if spans else match.group()


def english_share(words: list[str], english: Collection[str]) -> float:
    """The share of the (lowercased) words that are in the English list; 1.0 for no words."""
    return sum(w in english for w in words) / len(words) if words else 1.0


@cache
def _language_rule() -> tuple[int, float, frozenset[str]]:
    return load_fitted(LANGUAGE_FILE, "the language check", "scripts/fit_language_check.py",
                       lambda f: (int(f["min_words"]), float(f["max_share"]), frozenset(f["words"])))


def refuses(n_words: int, share: float, min_words: int, max_share: float) -> bool:
    """The rule itself: enough words to tell, and too few of them English (the app and the fit use this)."""
    return n_words >= min_words and share < max_share


def not_english(text: str) -> bool:
    """Fewer than the fitted share of English words, in a text long enough to tell (scripts/fit_language_check.py)."""
    min_words, max_share, english = _language_rule()
    words = [w.lower() for w in tokens(text)]
    return refuses(len(words), english_share(words, english), min_words, max_share)


def not_a_jd(text: str, units: list[Unit]) -> str | None:
    """A one-line note saying what the text is instead, or None when it reads as a job description."""
    if not_english(text):
        return "This does not read as English: the decoder reads English postings only, so nothing was decoded."
    starts = [u for u in units if u.section != "noise" and len(u.text.split()) >= 3]
    past = sum(bool(_PAST_START.match(u.text.strip("-•* \t"))) for u in starts)
    resume_signals = (past >= 3 and past >= 0.4 * len(starts)) + bool(len(_DATE_RANGE.findall(text)) >= 2) \
        + bool(_RESUME_HEADING.search(text)) + bool(_FIRST_PERSON.search(text) and not _SECOND_PERSON.search(text))
    if resume_signals >= 2:
        return ("This reads like a résumé (past-tense achievements, dates, education, the first person), "
                "not a job description: "
                "paste the posting you are applying to. Nothing was decoded.")
    letter_without_list = _SIGN_OFF.search(text[-300:]) and sum(bool(BULLET.match(line)) for line in text.splitlines()) < 2
    if _GREETING.search(text[:200]) and (len(_OUTREACH.findall(text)) >= 2 or letter_without_list):
        return ("This reads like a recruiter's message, not a job description: it asks for your time but lists no "
                "requirements to decode. Ask them for the posting.")
    return None
