"""Decode a job description into the competencies it scores (seed 000's method, in code).

Deterministic: the same text and taxonomy always give the same decode. The embedding
model, when given, only places units that no keyword reached; without it the decode is
lexical and still complete.
"""

from __future__ import annotations

import re
import weakref
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import numpy as np

from coach.jdcheck import not_a_jd
from coach.roleclass import Readings, classify, term_span
from coach.segment import Unit, segment
from coach.taxonomy import FLAVORS, Taxonomy, load_taxonomy
from coach.titleline import detect_title
from coach.verbs import DETERMINERS, ING_ONLY_CUES, VERB_CUES, lemma
from models.embeddings import Embedder
from models.errors import InputError

MAX_CLUSTERS = 7
MAX_JD_CHARS = 1_000_000  # beyond this it is not a job description; 100k+ JDs still decode whole
SEMANTIC_THRESHOLD = 0.40  # cosine to a cluster's nearest anchor for a keyword-less unit to land there
SEMANTIC_MARGIN = 0.04  # ...and this far ahead of the runner-up (company blurbs sit close to several)
LEVELS = ("L4", "L5", "Staff")
UNIT_EMBED_CHARS = 300


@dataclass(frozen=True, slots=True)
class Evidence:
    text: str
    span: tuple[int, int]
    kind: str
    points: float = 0.0


@dataclass(slots=True)
class ClusterResult:
    id: str
    name: str
    weight: float  # units that recur on it; a nice-to-have unit counts half
    mentions: int  # units, whatever their weight
    spans: list[tuple[int, int]]  # the exact supporting text: jd[start:end]
    terms: list[str]
    semantic: list[float] = field(default_factory=list)  # similarities of units placed by meaning


@dataclass(slots=True)
class VerbResult:
    verb: str
    spans: list[tuple[int, int]]


@dataclass(slots=True)
class LevelResult:
    value: str | None
    reason: str
    evidence: list[Evidence]
    years: int | None
    scores: dict[str, float] = field(default_factory=dict)  # probability of each level


@dataclass(slots=True)
class FlavorResult:
    value: str | None
    scores: dict[str, float]
    evidence: list[Evidence]


@dataclass(slots=True)
class Decode:
    text: str
    taxonomy_version: str
    units: list[Unit]
    clusters: list[ClusterResult]
    verbs: list[VerbResult]
    level: LevelResult
    flavor: FlavorResult
    notes: list[str]

    def to_dict(self, *, include_units: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "taxonomy_version": self.taxonomy_version,
            "characters": len(self.text),
            "clusters": [
                {"id": c.id, "name": c.name, "weight": c.weight, "mentions": c.mentions,
                 "spans": [list(s) for s in c.spans], "terms": c.terms,
                 "quotes": [self.text[s:e] for s, e in c.spans]}
                for c in self.clusters
            ],
            "verbs": [{"verb": v.verb, "spans": [list(s) for s in v.spans]} for v in self.verbs],
            "level": {"value": self.level.value, "reason": self.level.reason, "years": self.level.years,
                      "scores": self.level.scores,
                      "evidence": [_evidence_dict(e) for e in self.level.evidence]},
            "flavor": {"value": self.flavor.value, "scores": self.flavor.scores,
                       "evidence": [_evidence_dict(e) for e in self.flavor.evidence]},
            "notes": self.notes,
        }
        if include_units:
            out["units"] = [asdict(u) for u in self.units]
        return out


    @classmethod
    def from_dict(cls, data: dict[str, Any], text: str) -> Decode:
        """A saved decode back as it was made (units are re-segmented when an older save lacks them)."""
        units = [Unit(**u) for u in data["units"]] if "units" in data else segment(text)
        level, flavor = data["level"], data["flavor"]
        return cls(
            text=text, taxonomy_version=data["taxonomy_version"], units=units,
            clusters=[ClusterResult(c["id"], c["name"], c["weight"], c["mentions"], [tuple(s) for s in c["spans"]],
                                    c["terms"]) for c in data["clusters"]],
            verbs=[VerbResult(v["verb"], [tuple(s) for s in v["spans"]]) for v in data["verbs"]],
            level=LevelResult(level["value"], level["reason"], [_evidence_of(e) for e in level["evidence"]],
                              level.get("years"), level.get("scores", {})),
            flavor=FlavorResult(flavor["value"], flavor["scores"], [_evidence_of(e) for e in flavor["evidence"]]),
            notes=list(data.get("notes", [])),
        )


def _evidence_of(d: dict[str, Any]) -> Evidence:
    return Evidence(d["text"], tuple(d["span"]), d["kind"], d.get("points", 0.0))  # type: ignore[arg-type]


def _evidence_dict(e: Evidence) -> dict[str, Any]:
    return {"text": e.text, "span": list(e.span), "kind": e.kind, "points": e.points}


# -- keyword matching ------------------------------------------------------------------------
_TOKEN = re.compile(r"[a-z0-9][a-z0-9+#@./']*[a-z0-9+#]|[a-z0-9]")


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(phrase.lower().replace("’", "'")))


@dataclass(frozen=True)
class _Matcher:
    """Keyword phrases looked up by token n-grams: the longest phrase at a position wins.

    Matching is on word tokens, so hyphens and spaces are interchangeable ("root-cause",
    "root cause"), and the last word may carry a plural -s/-es.
    """

    owner: dict[tuple[str, ...], str]  # token tuple -> cluster or flavor id
    longest: int
    first_words: frozenset[str] = frozenset()  # the first token of every phrase: a match can start nowhere else

    def find(self, text: str, start: int, end: int) -> list[tuple[str, int, int, str]]:
        lowered = text[start:end].lower().replace("’", "'")
        tokens = [(m.group(0), start + m.start(), start + m.end()) for m in _TOKEN.finditer(lowered)]
        hits, i = [], 0
        first = self.first_words
        while i < len(tokens):
            word = tokens[i][0]
            if word not in first and word[:-1] not in first and word[:-2] not in first:
                i += 1
                continue
            for n in range(min(self.longest, len(tokens) - i), 0, -1):
                words = tuple(t[0] for t in tokens[i : i + n])
                owner = self.owner.get(words)
                if owner is None and words[-1].endswith("s"):
                    stem = words[-1]
                    owner = self.owner.get(words[:-1] + (stem[:-1],)) or (
                        self.owner.get(words[:-1] + (stem[:-2],)) if stem.endswith("es") else None)
                if owner is not None:
                    s_, e_ = tokens[i][1], tokens[i + n - 1][2]
                    hits.append((owner, s_, e_, text[s_:e_]))
                    i += n
                    break
            else:
                i += 1
        return hits


def _build_matcher(owned: dict[str, list[str]]) -> _Matcher:
    owner: dict[tuple[str, ...], str] = {}
    for owner_id, keywords in owned.items():
        for keyword in keywords:
            key = _key(keyword)
            if key:
                owner.setdefault(key, owner_id)
            if len(key) > 1 and "-" in keyword:  # "fine-tune" also as "finetune"
                owner.setdefault(("".join(key),), owner_id)
    return _Matcher(owner, max((len(k) for k in owner), default=1), frozenset(k[0] for k in owner))


@cache
def keyword_matchers(taxonomy: Taxonomy) -> tuple[_Matcher, _Matcher]:
    clusters = _build_matcher({c.id: list(c.keywords) for c in taxonomy.clusters})
    flavors = _build_matcher({f.id: list(f.keywords) for f in taxonomy.flavors})
    return clusters, flavors


# -- the semantic side -----------------------------------------------------------------------
class SemanticIndex:
    """Each cluster's anchors (its description and example bullets) as unit vectors."""

    def __init__(self, taxonomy: Taxonomy, embedder: Embedder) -> None:
        self._embedder = weakref.ref(embedder)  # not owned: the cache below must not keep it alive
        texts, owners = [], []
        for index, cluster in enumerate(taxonomy.clusters):
            for anchor in (cluster.description, *cluster.examples):
                texts.append(anchor)
                owners.append(index)
        self.anchors = embedder.embed(texts)
        self.owners = np.array(owners)
        self.n_clusters = len(taxonomy.clusters)

    def cluster_similarities(self, texts: list[str]) -> np.ndarray:
        """(len(texts), n_clusters): similarity to each cluster's nearest anchor."""
        embedder = self._embedder()
        if embedder is None:
            raise RuntimeError("the embedder behind this index is gone")
        return self.similarities(embedder.embed(texts))

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """(len(vectors), n_clusters) for vectors already embedded by this index's embedder."""
        sims = vectors @ self.anchors.T
        out = np.full((len(vectors), self.n_clusters), -1.0, dtype=np.float32)
        for cluster in range(self.n_clusters):
            out[:, cluster] = sims[:, self.owners == cluster].max(axis=1)
        return out


# Held weakly: an index lives as long as its embedder and taxonomy do, and never outlives them
# (keyed by id(), a new embedder at a freed address would have been handed a closed one's index).
_INDEXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def semantic_index(taxonomy: Taxonomy, embedder: Embedder) -> SemanticIndex:
    per_taxonomy = _INDEXES.setdefault(embedder, weakref.WeakKeyDictionary())
    if taxonomy not in per_taxonomy:
        per_taxonomy[taxonomy] = SemanticIndex(taxonomy, embedder)
    return per_taxonomy[taxonomy]


# -- verbs -----------------------------------------------------------------------------------
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_LEAD_IN = re.compile(r"^(?:you(?:'|’)ll|you will|will|help(?: us)?|ability to|able to|we need you to|expect to)\s+",
                      re.IGNORECASE)


def find_verbs(text: str, units: list[Unit]) -> list[VerbResult]:
    found: dict[str, list[tuple[int, int]]] = {}
    for unit in units:
        if unit.section == "noise":
            continue
        words = list(_WORD.finditer(text, unit.start, unit.end))
        lead = _LEAD_IN.match(unit.text)
        first_index = 0
        if lead:
            first_index = sum(1 for w in words if w.start() < unit.start + lead.end())
        for i, word in enumerate(words):
            form = word.group(0).lower().replace("’", "'")
            verb = lemma(form)
            if verb is None:
                continue
            previous = words[i - 1].group(0).lower() if i > 0 else ""
            if previous in DETERMINERS:
                continue
            if i != first_index:  # the first word of a unit is its action; elsewhere, only after a cue
                if previous not in VERB_CUES or (previous in ING_ONLY_CUES and not form.endswith("ing")):
                    continue
            found.setdefault(verb, []).append((word.start(), word.end()))
    return [VerbResult(v, spans) for v, spans in sorted(found.items(), key=lambda kv: kv[1][0][0])]


# -- level -----------------------------------------------------------------------------------
# Years as postings write them: "5+ years", "3-5 yrs", and spelled out, "five years", "one (1) year".
_NUMBER_WORDS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                            "thirteen fourteen fifteen".split())}
_YEARS = re.compile(
    r"(?<![\d.])(\d{1,2}|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b(?:\s*\(\d{1,2}\))?)\s*\+?\s*"
    r"(?:(?:-|–|to)\s*(\d{1,2})\s*\+?\s*)?(?:\+\s*)?(?:or more\s+)?(?:years?|yrs?)\b(?:\s+of)?",
    re.IGNORECASE,
)
# What follows the years says they are experience: an activity ("8+ years designing…", "10+ years applying…")
# or what the years were spent on ("5 years of relevant work").
_DOING = re.compile(r"\W*(?:\w+ing\b|relevant\b|work\b|post\b|as\b|at\b|on\b|across\b)")
_TIME_HORIZON = re.compile(r"\b(?:next|past|last|coming|first|within)\s+(?:\w+\s+)?$", re.IGNORECASE)
_SIGNALS: list[tuple[str, str, float]] = [
    # (kind, pattern, points): Staff signals +2, senior +1, junior -1.
    ("staff", r"\b(?:staff|principal)(?:[\s-]+level)?[\s-]+(?:\w+[\s-]+){0,2}(?:engineer|scientist|role|position)", 2),
    ("staff", r"\b(?:staff|principal)[\s-]level\b", 2),
    ("staff", r"\b(?:technical|engineering|architectural|product) (?:direction|vision|strategy)\b", 2),
    ("staff", r"\bset(?:s|ting)? (?:the )?(?:\w+ )?direction\b", 2),
    ("staff", r"\b(?:org(?:anization|anisation)?|company|business)[\s-]wide\b", 2),
    ("staff", r"\bacross (?:the )?(?:company|organi[sz]ation|org|multiple orgs|engineering)\b", 2),
    ("staff", r"\bmulti[\s-]year\b|\blong[\s-]term (?:roadmap|strategy|vision)\b", 2),
    ("staff", r"\b(?:problems|opportunities) (?:that )?others (?:have not|haven't|don't)\b", 2),
    ("staff", r"\bindustry[\s-](?:leading|wide|standard)\b|\bexternal(?:ly)? (?:thought leadership|talks)\b", 2),
    ("senior", r"\bsenior\b(?![\s-]+(?:leaders?(?:hip)?|stakeholders?|management|executives?|management))", 1.5),
    ("senior", r"\b(?:lead|leads|leading|led)\b", 1),
    ("senior", r"\b(?:define|defines|defining|drive|drives|driving|own|owns|owning|ownership)\b", 1),
    ("senior", r"\b(?:mentor|mentors|mentoring|mentorship of|architect|architecting|spearhead\w*|champion\w*)\b", 1),
    ("senior", r"\b(?:influence|influencing|across teams|cross[\s-]team|multiple teams|roadmap|ambigu\w+)\b", 1),
    ("senior", r"\b(?:tech(?:nical)? lead|end[\s-]to[\s-]end ownership|trade[\s-]?offs?)\b", 1),
    ("junior", r"\b(?:junior|entry[\s-]level|new grad\w*|early[\s-]career|graduate|intern(?:ship)?|associate)\b", -2),
    ("junior", r"\b(?:contribute|contributes|contributing|support|supports|supporting|assist\w*)\b", -1),
    # "learn" as a verb only: "machine learning" and "deep learning" are subjects, not a junior signal.
    ("junior", r"\b(?:learn|learning (?:new|from|about|on the job)|grow your|under (?:the )?guidance|with guidance|"
               r"mentorship from|be mentored)\b", -1),
    ("junior", r"\b(?:mid[\s-]level|engineer (?:i|ii)\b)", -1.5),
]
_SIGNAL_PATTERNS = [(kind, re.compile(p, re.IGNORECASE), pts) for kind, p, pts in _SIGNALS]
# The seniority words of the labelling guide (docs/labelling-postings.md) before a role noun, or a grade after
# it ("Engineer II"). "Lead" only capitalised, as a title writes it: the verb ("lead the design") is not a level.
_ROLE = r"(?:\w+[\s-]+){0,3}?(?:engineer|scientist|developer|architect)s?\b"
_EXPLICIT = [
    ("Staff", re.compile(
        r"\b(?:staff|principal|distinguished)[\s-]+" + _ROLE + r"|\b(?:staff|principal)[\s-]level\b"
        r"|\b(?-i:Lead)[\s-]+" + _ROLE + r"|\b(?:tech|technical|team)[\s-]lead\b",
        re.IGNORECASE,
    )),
    ("L5", re.compile(r"\b(?:senior|sr\.?)[\s-]+" + _ROLE + r"|(?<!mid-)(?<!mid )\bsenior[\s-]level\b"
                      r"|\b(?:engineer|scientist|developer)[\s,]+(?-i:III|3)\b", re.IGNORECASE)),
    ("L4", re.compile(r"\b(?:junior|entry[\s-]level|new[\s-]grad|early[\s-]career|mid[\s-]level)\b"
                      r"|\b(?:associate|jr\.?)[\s-]+" + _ROLE + r"|\b(?:engineer|scientist|developer)[\s,]+(?-i:II?|[12])\b",
                      re.IGNORECASE)),
]


_ABOVE = {"L4": "L5", "L5": "Staff", "Staff": "Staff"}
_LEADS_OTHERS = re.compile(r"\b(?:mentor\w*|coach\w*|lead\w*|led|manag\w+|grow\w*|develop\w*|guid\w+|level[\s-]up)\W+"
                           r"(?:\w+\W+){0,2}$", re.IGNORECASE)
# Colleagues, and levels the role is not: "with/by/alongside ... staff engineers", "grow toward staff".
_WITH_OTHERS = re.compile(r"\b(?:with|by|from|to|towards?|alongside|among|beside|join\w*|other|our|pair\w*|buddy|have|"
                          r"has|get)\W+(?:\w+\W+){0,3}$", re.IGNORECASE)


def _explicit_level(text: str, units: list[Unit], evidence: list[Evidence], title: str | None
                    ) -> tuple[str | None, str]:
    """A level the text names for the role itself ("As a Senior ML Engineer...").

    The role names itself first: its title line (even where the segmenter took it for a heading), its
    opening sentence. Later mentions of other levels are mostly its surroundings ("grow toward staff",
    "without a principal-level review"), so the earliest own mention wins, not the highest level named
    anywhere; "Senior Staff ML Engineer" is one mention, and of mentions that overlap the higher level
    counts. Colleagues do not count ("led by a staff engineer", "pair with senior engineers", any plural).
    Mentoring or leading engineers of a level says the role sits above it, when the text names no level
    of its own.
    """
    own: list[tuple[int, int, int, re.Match[str]]] = []  # (start, rank in _EXPLICIT: 0 is highest, end, match)
    implied: tuple[str, Evidence] | None = None
    spans = [(u.start, u.end) for u in units if u.section != "noise"]
    title_start = text.find(title) if title else -1
    if title and not any(start <= title_start < end for start, end in spans):  # a title line read as a heading
        spans.insert(0, (title_start, title_start + len(title)))
    for rank, (level, pattern) in enumerate(_EXPLICIT):
        for span_start, span_end in spans:
            for match in pattern.finditer(text, span_start, span_end):
                before = text[max(span_start, match.start() - 40) : match.start()]
                plural = match.group(0).lower().endswith("s") and not match.group(0).lower().endswith("ss")
                if plural and not _LEADS_OTHERS.search(before) or _WITH_OTHERS.search(before):
                    continue
                if _LEADS_OTHERS.search(before):
                    # Highest level first here: "mentor senior and junior engineers" sits above senior.
                    if implied is None:
                        implied = (_ABOVE[level], Evidence(text[match.start() - len(before.lstrip()) : match.end()],
                                                           (match.start() - len(before.lstrip()), match.end()),
                                                           "leads others"))
                    continue
                own.append((match.start(), rank, match.end(), match))
    if own:
        first_start, _, first_end, _ = min(own, key=lambda m: m[:2])
        _, rank, _, match = min((m for m in own if m[0] < first_end and first_start < m[2]), key=lambda m: m[1])
        evidence.insert(0, Evidence(match.group(0), (match.start(), match.end()), "title word"))
        return _EXPLICIT[rank][0], f"the text itself names the level ({match.group(0)!r})"
    if implied is not None:
        evidence.insert(0, implied[1])
        return implied[0], f"it asks you to lead or mentor others at a level below ({implied[1].text!r})"
    return None, ""


def _years(text: str, units: list[Unit]) -> tuple[int | None, list[Evidence]]:
    found: list[tuple[int, Evidence]] = []
    for unit in units:
        if unit.section == "noise":
            continue
        for match in _YEARS.finditer(text, unit.start, unit.end):
            tail = text[match.end() : min(unit.end, match.end() + 60)].lower()
            if _TIME_HORIZON.search(text[max(unit.start, match.start() - 30) : match.start()]):
                continue  # "over the next three years": a span of time, not experience asked
            if not (_DOING.match(tail) or re.search(r"experience|industry|building|working|shipping|develop|"
                                                    r"professional|hands-on|in |with ", tail + " " + unit.text.lower())):
                continue
            number = match.group(1).split("(")[0].strip().lower()
            years = int(number) if number.isdigit() else _NUMBER_WORDS[number]
            if years > 25:
                continue
            found.append((years, Evidence(match.group(0).strip(), (match.start(), match.end()), "years")))
    if not found:
        return None, []
    # The requirement is the largest minimum the JD asks for ("5+ years ..., 2+ with LLMs" -> 5).
    years = max(y for y, _ in found)
    return years, [e for _, e in found]


def level_readings(text: str, units: list[Unit], *, detect: Callable[[str], str | None] = detect_title
                   ) -> tuple[list[Evidence], dict[str, float], str | None, int | None]:
    """The level signals seed 000 names, as found: (evidence, totals per kind, level the text names, years).
    `detect` finds the title line, where the role names its level first."""
    evidence: list[Evidence] = []
    totals = {"staff": 0.0, "senior": 0.0, "junior": 0.0}
    for unit in units:
        if unit.section == "noise":
            continue
        seen_in_unit: set[str] = set()
        for kind, pattern, points in _SIGNAL_PATTERNS:
            for match in pattern.finditer(text, unit.start, unit.end):
                phrase = match.group(0).lower()
                if phrase in seen_in_unit:
                    continue
                seen_in_unit.add(phrase)
                weight = points * unit.weight
                totals[kind] += abs(weight)
                evidence.append(Evidence(match.group(0), (match.start(), match.end()), kind, weight))
    explicit, _ = _explicit_level(text, units, evidence, detect(text))
    years, year_evidence = _years(text, units)
    return year_evidence + evidence, totals, explicit, years


def _rule_level(totals: dict[str, float], explicit: str | None, years: int | None) -> str:
    """The first release's rule (seed 000: the level named, years, lead/define/drive against contribute/support/
    learn): now one input among others to the fitted level call."""
    staff, senior, junior = totals["staff"], totals["senior"], totals["junior"]
    if explicit:
        return explicit
    if years is not None:
        value = "Staff" if years >= 8 else "L5" if years >= 5 else "L4"
        if value == "L5" and staff >= 6 and staff > junior:
            return "Staff"
        if value == "L4" and senior >= 5 and junior < 2 and years >= 3:
            return "L5"
        if value == "Staff" and staff < 2 and junior > senior:
            return "L5"
        return value
    if staff >= 4 and staff > junior:
        return "Staff"
    return "L5" if senior + staff >= 2 and senior + staff > 1.5 * junior else "L4"


def _flavor_rules(text: str, units: list[Unit], clusters: list[ClusterResult],
                  taxonomy: Taxonomy) -> tuple[dict[str, float], dict[str, float]]:
    """Seed 000's flavor table as the taxonomy encodes it: cluster affinities and flavor phrases, normalised."""
    _, flavor_matcher = keyword_matchers(taxonomy)
    affinity = {f: sum(c.weight * taxonomy.cluster(c.id).flavor_affinity[f] for c in clusters) for f in FLAVORS}
    phrases = {f: 0.0 for f in FLAVORS}
    for unit in units:
        if unit.weight == 0:
            continue
        for owner in {owner for owner, _, _, _ in flavor_matcher.find(text, unit.start, unit.end)}:
            phrases[owner] += unit.weight
    def normalised(d: dict[str, float]) -> dict[str, float]:
        total = sum(d.values())
        return {k: (v / total if total else 0.0) for k, v in d.items()}
    return normalised(affinity), normalised(phrases)


def _driver_words(name: str) -> str:
    """A level driver in the words the level's reason shows ("mostly years asked, the level it names")."""
    if name.startswith("title:"):
        return f"the title word “{name[6:]}”"
    if name.startswith("cluster:"):
        return f"the weight of {name[8:].replace('_', ' ')}"
    if name.startswith(("affinity:", "phrases:")):
        return "the role's flavor (seed 000's table)"
    return {"has_years": "years asked", "years": "the years asked", "years_5plus": "5+ years asked",
            "years_8plus": "8+ years asked", "names_L4": "the level it names", "names_L5": "the level it names",
            "names_Staff": "the level it names", "staff_signals": "set-direction / org-wide signals",
            "rules_say_L4": "seed 000's level rules", "rules_say_L5": "seed 000's level rules",
            "rules_say_Staff": "seed 000's level rules",
            "senior_signals": "lead / define / drive signals", "junior_signals": "contribute / support / learn signals",
            "total_weight": "how much it asks", "has_title": "its title"}.get(name, f"“{name}”")


# -- flavor ----------------------------------------------------------------------------------
def _evidence_of_drivers(text: str, title: str | None, drivers: list[tuple[str, float]],
                        clusters: list[ClusterResult], kind: str) -> list[Evidence]:
    """The spans behind a call's strongest features, so the screen can show why."""
    out: list[Evidence] = []
    by_id = {c.id: c for c in clusters}
    for name, points in drivers:
        span: tuple[int, int] | None = None
        if name.startswith(("affinity:", "phrases:")):
            continue
        if name.startswith("cluster:") and name[8:] in by_id and by_id[name[8:]].spans:
            span = by_id[name[8:]].spans[0]
        elif name.startswith("title:") and title:
            start = text.find(title)
            span = (start, start + len(title)) if start >= 0 else None
        elif ":" not in name and "_" not in name:
            span = term_span(text, name)
        if span is not None:
            out.append(Evidence(text[span[0]:span[1]], span, kind, round(points, 2)))
    return out


# -- the decode ------------------------------------------------------------------------------
def validate_jd(text: str) -> str:
    if not isinstance(text, str):
        raise InputError("a job description must be text")
    if not text.strip():
        raise InputError("the job description is empty", hint="paste or open the text of a posting")
    if len(text) > MAX_JD_CHARS:
        raise InputError(f"that is {len(text):,} characters; a job description over {MAX_JD_CHARS:,} is not one")
    if "\x00" in text:
        raise InputError("that looks like a binary file, not the text of a job description")
    return text


def decode(text: str, *, title: str | None = None, taxonomy: Taxonomy | None = None,
           embedder: Embedder | None = None, classify_role: bool = True) -> Decode:
    """JD text -> its clusters, verbs, level and flavor, each with spans that slice back to the text.

    `title` is the posting's title when the user gives it apart from the text; a first line that
    reads as a title is taken as one."""
    text = validate_jd(text)
    taxonomy = taxonomy or load_taxonomy()
    cluster_matcher, _ = keyword_matchers(taxonomy)
    units = segment(text)
    not_jd = not_a_jd(text, units)
    if not_jd is not None:  # a résumé, a recruiter's email, another language: nothing is invented for it
        return Decode(text, taxonomy.version, units, [], [], LevelResult(None, "not a job description", [], None),
                      FlavorResult(None, {f: 0.0 for f in FLAVORS}, []), [not_jd])
    per_cluster: dict[str, dict[str, Any]] = {}

    def credit(cluster_id: str, unit_index: int, span: tuple[int, int], term: str, similarity: float | None,
               mentions: int = 1) -> None:
        entry = per_cluster.setdefault(cluster_id, {"units": {}, "spans": [], "terms": [], "semantic": []})
        entry["units"][unit_index] = max(entry["units"].get(unit_index, 0.0), units[unit_index].weight * mentions)
        entry["spans"].append(span)
        if term.lower() not in entry["terms"]:
            entry["terms"].append(term.lower())
        if similarity is not None:
            entry["semantic"].append(round(similarity, 3))

    verbs = find_verbs(text, units)
    verb_spans = sorted(span for v in verbs for span in v.spans)
    unplaced: list[int] = []
    for index, unit in enumerate(units):
        if unit.section == "noise":
            continue
        hits = cluster_matcher.find(text, unit.start, unit.end)
        mentions = _clause_mentions(text, [s for s in verb_spans if unit.start <= s[0] < unit.end], hits)
        for cluster_id, start, end, term in hits:
            credit(cluster_id, index, (start, end), term, None, mentions[cluster_id])
        if not hits and len(_WORD.findall(unit.text)) >= 4:
            unplaced.append(index)

    if embedder is not None and unplaced:
        index_ = semantic_index(taxonomy, embedder)
        # A unit's first ~60 words carry what it asks for; the rest only costs time (a 10,000-character decode
        # has a 300 ms budget, most of it this embedding).
        sims = index_.cluster_similarities([units[i].text[:UNIT_EMBED_CHARS] for i in unplaced])
        for row, unit_index in enumerate(unplaced):
            order = np.argsort(-sims[row])
            best, second = float(sims[row, order[0]]), float(sims[row, order[1]])
            if best >= SEMANTIC_THRESHOLD and best - second >= SEMANTIC_MARGIN:
                unit = units[unit_index]
                credit(taxonomy.clusters[int(order[0])].id, unit_index, (unit.start, unit.end), "(by meaning)", best)

    order_of = {c.id: i for i, c in enumerate(taxonomy.clusters)}
    results = [
        ClusterResult(
            id=cid, name=taxonomy.cluster(cid).name, weight=float(sum(e["units"].values())), mentions=len(e["units"]),
            spans=sorted(e["spans"]), terms=e["terms"], semantic=e["semantic"],
        )
        for cid, e in per_cluster.items()
        if sum(e["units"].values()) > 0
    ]
    results.sort(key=lambda r: (-r.weight, -r.mentions, r.spans[0][0], order_of[r.id]))
    clusters = results[:MAX_CLUSTERS]
    notes: list[str] = []
    if len(results) > MAX_CLUSTERS:
        dropped = ", ".join(f"{r.name} ({r.weight:g})" for r in results[MAX_CLUSTERS:])
        notes.append(f"Also mentioned, below the top {MAX_CLUSTERS}: {dropped}.")
    if not clusters:
        notes.append(
            "No recognisable competency: this text does not read like an AI-engineering job description"
            + (" (it may not be in English)" if _mostly_non_latin(text) else "")
            + ". Nothing was invented."
        )
        level = LevelResult(None, "no competencies, so no level", [], None)
        flavor = FlavorResult(None, {f: 0.0 for f in FLAVORS}, [])
    elif not classify_role:  # the fitting script's view: clusters and readings, no call yet
        level = LevelResult(None, "not classified", [], None)
        flavor = FlavorResult(None, {f: 0.0 for f in FLAVORS}, [])
    else:
        level, flavor = _calls(text, title, units, clusters, embedder)
    return Decode(text, taxonomy.version, units, clusters, verbs, level, flavor, notes)


_COORDINATION = re.compile(r"^[\s,]*(?:and|or|&|/|,)?[\s,]*$", re.IGNORECASE)


def _clause_mentions(text: str, verb_spans: list[tuple[int, int]],
                     hits: list[tuple[str, int, int, str]]) -> dict[str, int]:
    """How many verb clauses of a unit ask for each cluster (seed 000 counts "Design and own the evaluation
    infrastructure" as two mentions of evaluation: two verbs on one object).

    A clause runs from one action verb to the next; a clause that is only a verb and a conjunction
    ("Design and") shares the object of the clause after it."""
    starts = [s for s, _ in verb_spans]
    clauses: dict[str, set[int]] = {}
    for cluster_id, start, _, _ in hits:
        clauses.setdefault(cluster_id, set()).add(bisect_right(starts, start))
    for k in range(len(verb_spans) - 1, 0, -1):  # clause k+1 starts at verb k; walk back so chains share too
        between = text[verb_spans[k - 1][1]:verb_spans[k][0]]
        if _COORDINATION.match(between):
            for owned in clauses.values():
                if k + 1 in owned:
                    owned.add(k)
    return {cluster_id: max(1, len(owned)) for cluster_id, owned in clauses.items()}


def role_inputs(text: str, title: str | None, units: list[Unit], clusters: list[ClusterResult], *,
                detect: Callable[[str], str | None] = detect_title) -> tuple[str, str | None, Readings, list[Evidence]]:
    """(body, title, readings, level evidence): what the flavor and level classifiers read. `detect` finds a
    title pasted as the first line (the shipped check; the fitting script passes one fitted without the
    postings it evaluates on)."""
    title_line = detect(text)
    title = title or title_line
    # The classifiers read what the posting asks for: benefits, legal text and company blurbs (noise units) are
    # the same in every posting of a company and would teach them the company, not the role.
    title_start = text.find(title) if title and text.lstrip().startswith(title) else -1
    kept = [u.text for u in units if u.weight > 0 and u.section != "noise"
            and not (title_start >= 0 and u.start < title_start + len(title))]
    body = "\n".join(kept) or text
    evidence, totals, explicit, years = level_readings(text, units, detect=lambda _: title_line)
    affinity, phrases = _flavor_rules(text, units, clusters, load_taxonomy())
    readings = Readings({c.id: c.weight for c in clusters}, years, explicit, totals, affinity, phrases,
                        _rule_level(totals, explicit, years))
    return body, title, readings, evidence


def _calls(text: str, title: str | None, units: list[Unit], results: list[ClusterResult],
           embedder: Embedder | None) -> tuple[LevelResult, FlavorResult]:
    """Flavor and level from the fitted classifiers, with the evidence that drove each."""
    body, title, readings, evidence = role_inputs(text, title, units, results)
    years = readings.years
    flavor_call, level_call = classify(body, title, readings, embedder)
    reasons = list(dict.fromkeys(_driver_words(name) for name, _ in level_call.drivers[:3]))
    level = LevelResult(level_call.value, "mostly " + ", ".join(reasons) if reasons else "the fitted model's prior",
                        _evidence_of_drivers(text, title, level_call.drivers, results, "driver") + evidence, years,
                        level_call.probabilities)
    flavor = FlavorResult(flavor_call.value, flavor_call.probabilities,
                          _evidence_of_drivers(text, title, flavor_call.drivers, results, flavor_call.value))
    return level, flavor


def _mostly_non_latin(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(ch.isascii() for ch in letters) < 0.5 * len(letters)
