"""Is this text a job description at all? A résumé, a recruiter's email or another language is said to be
what it is, and decoded into nothing: no clusters, no level, no flavor claimed.

Each check reads a general property of the kind of text, not a phrase of one example: résumés
list past-tense achievements and speak in the first person, never to a reader; recruiters write
to a person about a call, or a letter with no list of requirements; English text is a fifth
function words. None of them fires on any of the 208 real postings of data/postings/ (a test
checks it).
"""

from __future__ import annotations

import re

from coach.segment import Unit

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_ENGLISH = frozenset("""the and to of a in for with you we our is are on as be will or your an at by this that from
have it can who us their all more about into what how work team""".split())
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
# bulleted line lists no requirements, whatever words its recruiter chose ("Interested? Reply with a time").
_SIGN_OFF = re.compile(r"^\s*(?:best|thanks|thank you|cheers|(?:kind |best |warm )?regards|sincerely|all the best)\b"
                       r"[^\n]{0,40}$", re.IGNORECASE | re.MULTILINE)
_BULLET = re.compile(r"^\s*(?:[-*•▪◦·]|\d+[.)])\s+\S", re.MULTILINE)


def english_share(text: str) -> float:
    words = [w.lower() for w in _WORD.findall(text)]
    return sum(w in _ENGLISH for w in words) / len(words) if words else 0.0


def not_a_jd(text: str, units: list[Unit]) -> str | None:
    """A one-line note saying what the text is instead, or None when it reads as a job description."""
    words = _WORD.findall(text)
    if len(words) >= 30 and english_share(text) < 0.07:
        return "This does not read as English: the decoder reads English postings only, so nothing was decoded."
    starts = [u for u in units if u.section != "noise" and len(u.text.split()) >= 3]
    past = sum(bool(_PAST_START.match(u.text.strip("-•* \t"))) for u in starts)
    resume_signals = (past >= 3 and past >= 0.4 * len(starts)) + bool(len(_DATE_RANGE.findall(text)) >= 2) \
        + bool(_RESUME_HEADING.search(text)) + bool(_FIRST_PERSON.search(text) and not _SECOND_PERSON.search(text))
    if resume_signals >= 2:
        return ("This reads like a résumé (past-tense achievements, dates, education, the first person), "
                "not a job description: "
                "paste the posting you are applying to. Nothing was decoded.")
    letter_without_list = _SIGN_OFF.search(text[-300:]) and not _BULLET.search(text)
    if _GREETING.search(text[:200]) and (len(_OUTREACH.findall(text)) >= 2 or letter_without_list):
        return ("This reads like a recruiter's message, not a job description: it asks for your time but lists no "
                "requirements to decode. Ask them for the posting.")
    return None
