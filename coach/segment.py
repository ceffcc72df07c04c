"""Split a JD into units: bullets, numbered items, prose sentences and their clauses.

Every unit keeps character offsets into the original text, so anything found in it can
be shown, highlighted and sliced back exactly. Headings are not units; they set the kind
of the units below them ("nice to have" units weigh less; benefits and legal boilerplate
are noise and weigh nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from coach.verbs import lemma

Section = Literal["main", "nice", "noise"]

NICE_WEIGHT = 0.5

BULLET = re.compile(r"^\s*(?:[-*+•·‣▪◦●○■□➢➤►–—]|\d{1,2}[.)]|[a-zA-Z][.)](?=\s)|\(\d{1,2}\)|\[[ xX]?\])\s+")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+")
_NICE = re.compile(
    r"\b(nice[\s-]to[\s-]haves?|bonus(?: points)?|preferred(?: qualifications| skills| experience)?|a plus|pluses|"
    r"good to have|desirable|extra credit|ideally|would be great)\b",
    re.IGNORECASE,
)
# The fields of a posting's metadata: noise headings that label one fact.
_FIELDS = (r"location|compensation|salary|pay range|remote policy|date posted|posted on|job (?:id|type|category)|"
           r"req(?:uisition)? id|employment type|work (?:type|model|arrangement)")
_NOISE_HEADING = re.compile(
    r"\b(benefits?|perks|what we offer|equal (?:employment )?opportunit|eeo|"
    r"about (?:us|the company)|who we are|our (?:mission|values|culture)|life at|why join|how to apply|"
    r"accommodation|privacy notice|hiring process|how we (?:hire|interview)|interview process|"
    # a job page's own furniture: its form and its other listings
    r"similar jobs|related jobs|more jobs|people also viewed|apply for this (?:job|role|position)|"
    rf"submit (?:your )?application|company overview|{_FIELDS})",
    re.IGNORECASE,
)
# A field's label alone on its line ("Location" over "Remote, US"): its section is its next line when that is a
# short value, after which the section it interrupted goes on.
_FIELD_HEADING = re.compile(rf"^(?:job |work |office )?(?:{_FIELDS})s?$", re.IGNORECASE)
_MAIN_HEADING = re.compile(
    r"\b(requirements?|qualifications?|responsibilities|what you(?:'|’)?ll do|what you will do|"
    r"you will|you(?:'|’)?ll|who you are|what you bring|what we(?:'|’)?re looking for|skills|"
    r"experience|must[\s-]haves?|minimum|basic|your impact|in this role|day to day|job description|"
    r"(?:this|the|your) (?:role|position|job)|role (?:overview|details|summary)|(?:job|position) summary|scope)\b",
    re.IGNORECASE,
)
# Sentences about pay, perks and the law: noise wherever they appear.
_NOISE_SENTENCE = re.compile(
    r"(equal opportunity|regardless of (?:race|sex|gender|age)|race, (?:color|colour)|sexual orientation|veteran status|"
    r"401\s?\(?k\)?|\bpto\b|paid time off|parental leave|health(?:,|\s+and)? dental|dental|vision insurance|"
    r"medical, dental|stock options|equity package|salary range|base salary|pay range|\$\s?\d{2,3}[,.]?\d{0,3}\s?k?\b|"
    r"reasonable accommodation|e-verify|background check|visa sponsorship|relocation (?:assistance|package)|"
    r"wellness stipend|learning stipend|home office stipend|gym membership|catered (?:lunch|meals)|"
    r"we are an? (?:proud )?equal|all qualified applicants|recruiting agencies|"
    # a job page's furniture: its application form, cookie banner and links
    r"\bapply now\b|submit (?:your )?application|\bfirst name\b|\blast name\b|resume\s*/\s*cv|upload (?:your )?(?:resume|cv)|"
    r"cookie (?:policy|settings|preferences)|(?:accept|use[s]?) (?:all )?cookies|privacy policy|terms of (?:use|service)|"
    r"share this job|save (?:this )?job|report this job|sign in to)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"'“(\[]?[A-Z0-9•])|(?<=[.!?])$")
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|approx|incl|dept|inc|ltd|co|jr|sr|dr|mr|ms|mrs|no|u\.s)\.$)", re.IGNORECASE)
_CLAUSE_JOIN = re.compile(r"(?:,\s*(?:and|or)\s+|\s+and\s+|\s+as well as\s+|;\s*|,\s+)(?=([A-Za-z-]+))")


@dataclass(frozen=True, slots=True)
class Unit:
    start: int
    end: int
    text: str
    section: Section
    weight: float  # 1 for a plain requirement, 0.5 for nice-to-have, 0 for noise
    heading: str | None


# Markdown emphasis may wrap the label, its colon or both: "**Location:** Chennai", "__Location__: Chennai".
_EMPHASIS = r"(?:\*\*?|__?)?"
_FACT_LINE = re.compile(rf":{_EMPHASIS}\s+[^\s*_]")
_LINE_LABEL = re.compile(rf"\s*{_EMPHASIS}([A-Za-z][\w '’/-]{{1,40}}?){_EMPHASIS}:{_EMPHASIS}\s+")


def _is_heading(line: str, next_line: str | None, is_bullet: bool) -> bool:
    stripped = line.strip().strip("*_").strip()
    if not stripped or is_bullet:
        return False
    if _MD_HEADING.match(line):
        return True
    words = stripped.rstrip(":").split()
    if stripped.endswith(":") and len(words) <= 8:
        return True
    if len(words) > 6 or stripped[-1] in ".!?,;":
        return False
    # "Location: Chennai, India" (or "**Location:** Chennai, India") is a fact line, not a heading: taken for
    # one, its noise label made everything after it noise until the next heading. The label is read on the line
    # itself (segment()).
    if _FACT_LINE.search(stripped):
        return False
    next_is_bullet = next_line is not None and bool(BULLET.match(next_line))
    known = bool(_MAIN_HEADING.search(stripped) or _NICE.search(stripped) or _NOISE_HEADING.search(stripped))
    return known or next_is_bullet or stripped.isupper()


def _is_short_value(line: str) -> bool:
    stripped = line.strip()
    return not BULLET.match(line) and len(stripped.split()) <= 8 and not stripped.endswith(":")


def _section_of(heading: str) -> Section:
    if _NICE.search(heading):
        return "nice"
    if _NOISE_HEADING.search(heading) and not _MAIN_HEADING.search(heading):
        return "noise"
    return "main"


def _sentences(text: str, offset: int) -> list[tuple[int, int]]:
    """Sentence spans (absolute offsets) in one line or paragraph."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start()
        if _ABBREVIATION.search(text[start:end]):
            continue
        if text[start:end].strip():
            spans.append((start, end))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return [(offset + s, offset + e) for s, e in spans]


def _clauses(text: str, start: int) -> list[tuple[int, int]]:
    """Split a sentence where a new action begins: "Debug X and drive Y" is two units.

    "Design and own X" stays one: the left side has no object of its own.
    """
    pieces: list[tuple[int, int]] = []
    left_start = 0
    for match in _CLAUSE_JOIN.finditer(text):
        if lemma(match.group(1)) is None:
            continue
        left_words = re.findall(r"[A-Za-z][\w'-]*", text[left_start : match.start()])
        if len(left_words) < 2 or all(lemma(w) for w in left_words):
            continue
        pieces.append((left_start, match.start()))
        left_start = match.end()
    pieces.append((left_start, len(text)))
    spans = []
    for a, b in pieces:
        piece = text[a:b]
        lead = len(piece) - len(piece.lstrip())
        trimmed_end = a + len(piece.rstrip(" ,;:.\t"))
        if trimmed_end > a + lead:
            spans.append((start + a + lead, start + trimmed_end))
    return spans


def segment(text: str) -> list[Unit]:
    units: list[Unit] = []
    lines = text.splitlines(keepends=True)
    offsets, position = [], 0
    for line in lines:
        offsets.append(position)
        position += len(line)
    section: Section = "main"
    heading: str | None = None
    field_value_line: int | None = None  # the line that holds the value of a field heading ("Location")
    interrupted: tuple[Section, str | None] = (section, heading)
    for index, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if not body.strip():
            continue
        next_index = next((i for i in range(index + 1, len(lines)) if lines[i].strip()), None)
        next_line = None if next_index is None else lines[next_index]
        bullet = BULLET.match(body)
        if field_value_line is not None and index > field_value_line:
            (section, heading), field_value_line = interrupted, None  # the field's value is read: back to the section
        if _is_heading(body, next_line, bool(bullet)):
            heading_text = body.strip().lstrip("#").strip().strip("*_").rstrip(":").strip()
            if _FIELD_HEADING.match(heading_text) and next_line is not None and _is_short_value(next_line):
                if field_value_line is None:
                    interrupted = (section, heading)
                field_value_line = next_index
            else:
                field_value_line = None
            heading = heading_text
            section = _section_of(heading)
            continue
        content_start = bullet.end() if bullet else len(body) - len(body.lstrip())
        line_section = section
        # "Nice to have: Go, Rust" - a label on the line itself.
        label = _LINE_LABEL.match(body[content_start:])
        if label and (_NICE.search(label.group(1)) or _NOISE_HEADING.search(label.group(1))):
            line_section = _section_of(label.group(1))
            content_start += label.end()
        for s, e in _sentences(body[content_start:], offsets[index] + content_start):
            sentence = text[s:e]
            sentence_section = "noise" if _NOISE_SENTENCE.search(sentence) else line_section
            for cs, ce in _clauses(sentence, s):
                unit_text = text[cs:ce]
                unit_section: Section = sentence_section
                if unit_section == "main" and _NICE.search(unit_text):
                    unit_section = "nice"
                weight = {"main": 1.0, "nice": NICE_WEIGHT, "noise": 0.0}[unit_section]
                units.append(Unit(cs, ce, unit_text, unit_section, weight, heading))
    return units
