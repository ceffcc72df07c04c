"""Scoring an answer against a visible rubric. Deterministic: the model never decides a score.

The rubric (seed 000 "Leveling Signals", seed 004's scorecard and red flags):
- STAR: situation, task, action, result, each 0-2;
- specificity, 0-4: numbers, named tools, scale, a measured outcome;
- the level signal the answer shows: L4 / L5 / Staff;
- relevance to the asked competency (embedding similarity to the competency and question,
  plus the competency's keywords);
- red flags;
- overall 1-5, from a 0-100 point total, with a rationale that lists what moved it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from coach.decode import keyword_matchers, semantic_index
from coach.taxonomy import Taxonomy, load_taxonomy
from coach.verbs import lemma
from models.embeddings import Embedder
from models.errors import InputError

MAX_ANSWER_CHARS = 20_000
STAR = ("situation", "task", "action", "result")

_SENTENCES = re.compile(r"[^.!?\n]+[.!?]?")
_DONT_KNOW = re.compile(
    r"^\W*(?:i\s+(?:really\s+)?(?:do\s*n[o']?t|dont|don’t)\s+know|idk|no\s+idea|not\s+sure|i\s+have\s+no\s+(?:idea|experience)|"
    r"i(?:'m| am)\s+not\s+sure|pass|skip|no\s+comment|i\s+can(?:'|no)?t\s+answer|n/?a|nothing)\b",
    re.IGNORECASE,
)
_CUES: dict[str, re.Pattern[str]] = {
    "situation": re.compile(
        r"\b(?:at (?:my|our|a|the) (?:previous |last |current )?(?:company|job|team|startup|employer|role)|when i was|"
        r"we had|we were|our (?:team|product|system|service|customers?|users?|chatbot|pipeline|model)|"
        r"the (?:problem|situation|context|issue|challenge) was|last (?:year|quarter)|in 20\d\d|there was|"
        r"i was working|i worked (?:at|on)|a few (?:months|years) ago|back (?:then|in))\b", re.IGNORECASE),
    "task": re.compile(
        r"\b(?:i was (?:asked|responsible|tasked|brought in|hired)|my (?:job|role|task|goal|mandate) was|the goal was|"
        r"(?:we|i) needed to|i had to|the (?:ask|target|objective) was|(?:our|my) goal|so that we could|"
        r"i (?:owned|took on|volunteered)|in order to|we wanted to)\b", re.IGNORECASE),
    "action": re.compile(
        r"\bi\s+(?:then\s+|first\s+|also\s+)?(?:built|designed|implemented|wrote|led|created|set up|added|ran|introduced|"
        r"migrated|debugged|traced|profiled|proposed|decided|chose|drove|measured|evaluated|fine-tuned|trained|"
        r"deployed|shipped|automated|refactored|partnered|convinced|wrote|labelled|labeled|analy[sz]ed|replaced|"
        r"split|moved|tested|benchmarked|instrumented|rolled out|negotiated|presented|mentored|reviewed|"
        r"prototyped|defined|established|organi[sz]ed|reproduced|isolated|fixed|rewrote|quantized|cached|pushed back|"
        r"made|took|found|started|spent|reached out|sat down|dug into|owned)\b",
        re.IGNORECASE),
    "result": re.compile(
        r"\b(?:reduc\w+|increas\w+|improv\w+|cut|dropped|fell|rose|grew|saved|lower\w*|rais\w+|halved|doubled|"
        r"from [^.]{1,30}? to|resulted in|as a result|which meant|the outcome|led to|in the end|ended up|"
        r"shipped to|launched|adopted by|now (?:serves|runs|handles))\b", re.IGNORECASE),
}
_NUMBER = re.compile(r"(?<![\w.])(?:\$\s?)?\d+(?:[.,]\d+)?\s?(?:%|x\b|ms\b|s\b|k\b|m\b|b\b|gb\b|tb\b|hours?\b|days?\b|"
                     r"weeks?\b|users?\b|requests?\b|qps\b|rps\b|points?\b|pp\b)?", re.IGNORECASE)
_SCALE = re.compile(r"\b(?:\d[\d,.]*\s?(?:k|m|million|billion|thousand)?\s+(?:users?|requests?|queries|documents?|"
                    r"customers?|tickets?|calls?|engineers?|teams?|rows?|tokens?|qps|rps)|per (?:day|second|month)|"
                    r"qps|rps|million|billion|terabytes?|petabytes?)\b", re.IGNORECASE)
_LEVEL_SIGNALS: dict[str, re.Pattern[str]] = {
    "Staff": re.compile(
        r"\b(?:set (?:the )?(?:technical |team's |org's )?(?:direction|strategy|roadmap)|org[\s-]wide|company[\s-]wide|"
        r"across the (?:company|org|organi[sz]ation)|no one had (?:noticed|named|seen)|nobody (?:had )?(?:noticed|named|"
        r"owned)|(?:became|made it) the (?:standard|default) (?:for|across)|multi[\s-]year|other teams (?:adopted|now use)|"
        r"changed how (?:we|the company|the org))\b", re.IGNORECASE),
    "L5": re.compile(
        r"\b(?:trade[\s-]?offs?|chose [^.]{1,40}? over|instead of|rather than|because|ambigu\w+|scoped|scoping|"
        r"cross[\s-]team|convinced|aligned (?:with )?|defended|pushed back|negotiated|prioriti[sz]ed|"
        r"partnered with|stakeholders?|weighed|the downside)\b", re.IGNORECASE),
}
# Sentences that talk to the scorer instead of answering: removed before scoring, and a red flag.
_TO_THE_SCORER = re.compile(
    r"\b(?:ignore (?:the |all |any |your )?(?:previous |prior |above |earlier )?(?:instructions?|rubric|rules|prompt)|"
    r"(?:score|rate|grade) (?:this|my) answer|give (?:me|this answer|it) (?:a |an )?(?:\d|five|full marks|top)|"
    r"(?:reveal|print|show|repeat) (?:your|the) (?:system )?(?:prompt|instructions)|you are now|"
    r"set (?:every|all|each) (?:star )?(?:element|score)s?|disregard (?:the|all|your))",
    re.IGNORECASE,
)
_RED_FLAGS: list[tuple[str, str, re.Pattern[str]]] = [
    ("dismisses_evaluation", "dismisses evaluation",
     re.compile(r"\b(?:(?:do\s*n[o']?t|never|didn'?t) (?:really )?(?:need|bother|have time) (?:to |for )?(?:evals?|evaluat\w+|"
                r"test\w*|measur\w+)|evals? (?:are|is) (?:a waste|overrated|not needed|pointless)|skipp?(?:ed)? "
                r"(?:the )?(?:evals?|evaluation|testing)|just (?:eyeball\w*|vibe[\s-]check\w*)|looked (?:good|fine) "
                r"to me)\b", re.IGNORECASE)),
    ("broad_tool_permissions", "gives an agent or service broad permissions",
     re.compile(r"\b(?:(?:full|admin|root|unrestricted|unlimited) (?:access|permissions?|privileges?|rights)|"
                r"access to everything|any tool it (?:wants|needs)|all (?:the )?(?:tools|permissions|scopes))\b",
                re.IGNORECASE)),
    ("ignores_privacy", "ignores privacy or access control",
     re.compile(r"\b(?:(?:ignored?|didn'?t (?:worry|care) about|no need for|skipp?(?:ed)?) (?:the )?(?:privacy|pii|"
                r"access control|security|permissions)|logged (?:all|every) (?:user|customer|patient) "
                r"(?:data|messages|records)|(?:sent|shared|uploaded) (?:raw )?(?:customer|user|patient) data to)\b",
                re.IGNORECASE)),
    ("unrealistic_accuracy", "claims unrealistic accuracy",
     re.compile(r"\b(?:100\s?%\s?(?:accura\w+|correct\w*|precision|recall|reliab\w+)|never hallucinat\w+|"
                r"zero hallucinations?|(?:perfect|flawless) (?:accuracy|results?)|no errors? at all)\b", re.IGNORECASE)),
    ("blames_others", "blames others instead of owning the outcome",
     re.compile(r"\b(?:it was (?:their|his|her|the other team'?s) fault|(?:they|the other team) (?:messed|screwed) up)\b",
                re.IGNORECASE)),
]


@dataclass(slots=True)
class Quote:
    text: str
    span: tuple[int, int]


@dataclass(slots=True)
class RubricResult:
    competency: str
    competency_name: str
    question: str
    category: str  # "answer", or "empty" / "dont_know" / "off_topic": the bottom of the scale
    star: dict[str, int]
    star_evidence: dict[str, list[Quote]]
    specificity: dict[str, Any]
    level_signal: dict[str, Any]
    relevance: dict[str, Any]
    red_flags: list[dict[str, Any]]
    points: float  # 0-100, before mapping to overall
    overall: int  # 1-5
    rationale: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def zero_elements(self) -> list[str]:
        return [element for element in STAR if self.star[element] == 0]


def validate_answer(answer: str) -> str:
    if not isinstance(answer, str):
        raise InputError("an answer must be text")
    if len(answer) > MAX_ANSWER_CHARS:
        raise InputError(f"that answer is {len(answer):,} characters; keep an answer under {MAX_ANSWER_CHARS:,}")
    return answer.replace("\x00", "")


def _quotes(pattern: re.Pattern[str], text: str) -> list[Quote]:
    return [Quote(m.group(0), (m.start(), m.end())) for m in pattern.finditer(text)]


def _sentence_of(text: str, position: int) -> str:
    for match in _SENTENCES.finditer(text):
        if match.start() <= position < match.end():
            return match.group(0)
    return ""


_PAST = re.compile(r"\b([a-z]+(?:ed|built|wrote|ran|led|set|chose|drove|cut|shipped|made|took|found|moved|split))\b")


def _coordinated_actions(text: str, quotes: list[Quote]) -> set[str]:
    """Past-tense action verbs that share an "I" earlier in their sentence: "I built X, wrote Y and set Z"."""
    found: set[str] = set()
    for quote in quotes:
        sentence = _sentence_of(text, quote.span[0])
        tail = sentence[sentence.lower().find(quote.text.lower()) + len(quote.text):]
        for word in _PAST.findall(tail.lower()):
            if lemma(word) is not None or word in ("chose", "made", "took", "found", "pushed"):
                found.add(word)
    return found


def _star(text: str) -> tuple[dict[str, int], dict[str, list[Quote]]]:
    scores, evidence = {}, {}
    for element in STAR:
        quotes = _quotes(_CUES[element], text)
        evidence[element] = quotes
        if not quotes:
            scores[element] = 0
        elif element == "action":
            distinct = {q.text.lower().split()[-1] for q in quotes} | _coordinated_actions(text, quotes)
            scores[element] = 2 if len(distinct) >= 2 else 1
        elif element == "result":
            measured = any(_NUMBER.search(_sentence_of(text, q.span[0])) for q in quotes)
            scores[element] = 2 if measured else 1
        else:
            detailed = any(len(_sentence_of(text, q.span[0]).split()) >= 12 for q in quotes)
            scores[element] = 2 if detailed or len(quotes) >= 2 else 1
    return scores, evidence


def _specificity(text: str, competency: str, taxonomy: Taxonomy) -> dict[str, Any]:
    numbers = [m.group(0).strip() for m in _NUMBER.finditer(text) if m.group(0).strip()]
    matcher, _ = keyword_matchers(taxonomy)
    tools = sorted({term.lower() for _, _, _, term in matcher.find(text, 0, len(text))})
    scale = [m.group(0) for m in _SCALE.finditer(text)]
    outcome = [q.text for q in _quotes(_CUES["result"], text) if _NUMBER.search(_sentence_of(text, q.span[0]))]
    parts = {"numbers": bool(numbers), "named tools": len(tools) >= 2, "scale": bool(scale), "outcome": bool(outcome)}
    return {"score": sum(parts.values()), "numbers": numbers[:8], "tools": tools[:10], "scale": scale[:5],
            "outcome": outcome[:3], "has": [k for k, v in parts.items() if v]}


def _level(text: str, star: dict[str, int]) -> dict[str, Any]:
    staff = [q.text for q in _quotes(_LEVEL_SIGNALS["Staff"], text)]
    senior = [q.text for q in _quotes(_LEVEL_SIGNALS["L5"], text)]
    if len(staff) >= 2 or (staff and len(senior) >= 2):
        value, why = "Staff", "sets direction or names problems others had not"
    elif len(senior) >= 2 or staff:
        value, why = "L5", "scopes, weighs trade-offs or works across teams"
    elif star["action"] > 0:
        value, why = "L4", "solves a defined problem and explains their own work"
    else:
        value, why = None, "no first-person work described"
    return {"value": value, "why": why, "staff_signals": staff[:5], "l5_signals": senior[:5]}


def _relevance(text: str, question: str, competency: str, taxonomy: Taxonomy,
               embedder: Embedder | None) -> dict[str, Any]:
    matcher, _ = keyword_matchers(taxonomy)
    hits = sorted({term.lower() for cid, _, _, term in matcher.find(text, 0, len(text)) if cid == competency})
    result: dict[str, Any] = {"keyword_hits": hits, "method": "keywords"}
    if embedder is None:
        question_words = {w for w in re.findall(r"[a-z]{4,}", question.lower())}
        overlap = question_words & set(re.findall(r"[a-z]{4,}", text.lower()))
        score = min(1.0, 0.25 * len(hits) + 0.08 * len(overlap))
        result.update(score=round(score, 3), question_overlap=sorted(overlap)[:8])
        return result
    index = semantic_index(taxonomy, embedder)
    position = [c.id for c in taxonomy.clusters].index(competency)
    vectors = embedder.embed([text[:4000], question])
    competency_sim = float(index.cluster_similarities([text[:4000]])[0, position])
    question_sim = float(np.dot(vectors[0], vectors[1]))
    # Cosine on MiniLM: ~0.1 unrelated, ~0.5+ on topic. Map [0.15, 0.55] to [0, 1]; keywords add a little.
    raw = max(competency_sim, question_sim)
    score = float(np.clip((raw - 0.15) / 0.40, 0, 1)) + 0.05 * min(len(hits), 3)
    result.update(method="embedding+keywords", score=round(min(score, 1.0), 3),
                  competency_similarity=round(competency_sim, 3), question_similarity=round(question_sim, 3))
    return result


def _red_flags(text: str) -> list[dict[str, Any]]:
    flags = []
    for flag_id, label, pattern in _RED_FLAGS:
        match = pattern.search(text)
        if match:
            flags.append({"id": flag_id, "label": label, "quote": match.group(0), "span": [match.start(), match.end()]})
    return flags


def _overall(points: float) -> int:
    return 1 if points < 15 else 2 if points < 35 else 3 if points < 55 else 4 if points < 75 else 5


def score_answer(answer: str, *, question: str, competency: str, embedder: Embedder | None = None,
                 taxonomy: Taxonomy | None = None) -> RubricResult:
    taxonomy = taxonomy or load_taxonomy()
    try:
        name = taxonomy.cluster(competency).name
    except KeyError:
        known = ", ".join(c.id for c in taxonomy.clusters)
        raise InputError(f"no competency '{competency}'", hint=f"one of: {known}") from None
    text = validate_answer(answer).strip()
    words = re.findall(r"\w+", text)
    empty_star = {e: 0 for e in STAR}
    base = dict(competency=competency, competency_name=name, question=question)
    if not words:
        return RubricResult(**base, category="empty", star=empty_star, star_evidence={e: [] for e in STAR},
                            specificity={"score": 0, "numbers": [], "tools": [], "scale": [], "outcome": [], "has": []},
                            level_signal={"value": None, "why": "no answer", "staff_signals": [], "l5_signals": []},
                            relevance={"score": 0.0, "keyword_hits": [], "method": "none"}, red_flags=[], points=0.0,
                            overall=1, rationale=["No answer was given: every element scores 0.",
                                                  "Overall 1/5 from 0 points."])
    injected = [m.group(0).strip() for m in _SENTENCES.finditer(text) if _TO_THE_SCORER.search(m.group(0))]
    if injected:
        text = "".join(m.group(0) for m in _SENTENCES.finditer(text) if not _TO_THE_SCORER.search(m.group(0))).strip()
        words = re.findall(r"\w+", text)
    star, star_evidence = _star(text)
    specificity = _specificity(text, competency, taxonomy)
    level = _level(text, star)
    relevance = _relevance(text, question, competency, taxonomy, embedder)
    flags = _red_flags(text)
    if injected:
        flags.append({"id": "instructs_the_scorer", "label": "talks to the scorer instead of answering",
                      "quote": injected[0][:120], "span": None})
    star_total = sum(star.values())
    category = "answer"
    if _DONT_KNOW.match(text) and len(words) <= 25:
        category = "dont_know"
    elif relevance["score"] < 0.2 and not relevance["keyword_hits"]:
        category = "off_topic"

    level_points = {"L4": 5, "L5": 10, "Staff": 15, None: 0}[level["value"]]
    substance = 35 * star_total / 8 + 25 * specificity["score"] / 4 + level_points
    points = substance * (0.4 + 0.6 * relevance["score"]) + 15 * relevance["score"] - 10 * len(flags)
    rationale: list[str] = []
    if not words:
        category = "off_topic"
    if category == "dont_know":
        # An honest "I don't know" is above silence, below anything that tries.
        points = 0.5
        rationale.append("The answer says it does not know: nothing to score, and no credit beyond answering.")
    elif category == "off_topic":
        points = 1.0 + min(substance, 100) / 200  # structure earns a hair, never enough to leave the bottom
        rationale.append(f"Off topic: relevance {relevance['score']:.2f} to {name} and none of its keywords.")
    points = round(max(points, 0.0), 2)
    overall = 1 if category != "answer" else _overall(points)
    if flags and overall > 3:
        overall = 3
        rationale.append("Overall capped at 3 by a red flag.")

    if category == "answer":
        parts = []
        for element in STAR:
            quote = star_evidence[element][0].text if star_evidence[element] else None
            parts.append(f"{element} {star[element]}" + (f" (“{quote}”)" if quote else ""))
        rationale.insert(0, "STAR: " + ", ".join(parts) + f" = {star_total}/8.")
        has = specificity["has"]
        rationale.append(f"Specificity {specificity['score']}/4: " + (", ".join(has) if has else "no numbers, tools, "
                         "scale or measured outcome") + (f" (numbers: {', '.join(specificity['numbers'][:4])})"
                                                         if specificity["numbers"] else "") + ".")
        rationale.append(f"Level signal: {level['value'] or 'none'} — {level['why']}.")
        rationale.append(f"Relevance {relevance['score']:.2f} to {name}"
                         + (f" (keywords: {', '.join(relevance['keyword_hits'][:4])})" if relevance["keyword_hits"] else "")
                         + ".")
    for flag in flags:
        rationale.append(f"Red flag: {flag['label']} (“{flag['quote']}”), −10.")
    rationale.append(f"Overall {overall}/5 from {points:g} points.")
    return RubricResult(**base, category=category, star=star, star_evidence=star_evidence, specificity=specificity,
                        level_signal=level, relevance=relevance, red_flags=flags, points=points, overall=overall,
                        rationale=rationale)
