"""The morning-of brief: one page to review before the interview, from what the user already keeps.

Seed 000's Q&A ends its research routine with "a preparation brief I can review on the morning
of the interview". This module builds it from one saved decode and the user's own records —
ratings, stories, past scores — passed in as plain values: no database, no model, no terminal.
Everything in it is deterministic and comes from the seeds, the question bank and the user's data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from coach.decode import LEVELS, ClusterResult, Decode
from coach.interview import plan_session
from coach.matrix import gap_priority
from coach.questions import Question, fits, load_bank
from coach.render import flavor_line, flavor_name, level_line
from coach.rubric import INSTRUCTIONS
from coach.stories import RETARGET_FLAVORS, Story, template_openings

N_QUESTIONS = 5  # the "three to five": five when the JD has the clusters for them
WEAK_CONFIDENCE = 2  # seed 000, Drill 2: "Flag anything rated 1-2 as a prep priority"
WEAK_SCORE = 3  # a last interview score at or below this is weak, as the checklist counts it (records.activity_since)
APPROACH_POINTS = 3

# Seed 000, "Leveling Signals": what an answer at each level shows.
LEVEL_SIGNALS = {
    "L4": "solves defined problems well, explains your own work clearly, asks good clarifying questions",
    "L5": "scopes ambiguous problems, makes trade-off decisions and defends them, shows cross-team influence",
    "Staff": "sets direction, names problems others haven't, connects technical choices to org strategy",
}
# Seed 004, "Hiring Evaluation Criteria": the red flags (ids as the rubric's flag classifier names them), each
# with what to say instead, from the same seed's strong signals and mitigation patterns.
RED_FLAGS = {
    "sensitive_data": ("Suggests storing or reusing sensitive user data without controls.",
                       "data minimisation: log what you need to debug, not what is convenient to store"),
    "broad_permissions": ("Proposes giving the model broad tool permissions without validation or allowlists.",
                          "defence in depth: input validation, tool allowlists, schema validation, safe failure"),
    "accuracy_guarantee": ("Claims unrealistic accuracy guarantees for probabilistic systems.",
                           "explain trade-offs without overclaiming certainty; correctness means meeting a spec"),
    "dismiss_eval": ("Dismisses testing or evaluation as unnecessary.",
                     "tie every change to eval evidence: a golden set, metrics, a rollback path"),
    "rag_access_control": ("Minimises the importance of access control in RAG (“it’s internal anyway”).",
                           "say how retrieval respects who may see each document"),
}


@dataclass(frozen=True, slots=True)
class ScoreRecord:
    cluster_id: str
    overall: int
    scored_at: float
    rubric: dict[str, Any]  # RubricResult.to_dict() as stored


@dataclass(slots=True)
class ClusterBrief:
    cluster_id: str
    name: str
    weight: float
    quotes: list[str]  # the JD spans that asked for it
    confidence: int | None
    story: str | None  # the best linked story's title
    opening: str | None  # its opening line, framed for the role's flavor
    approach: str | None  # with no story: seed 000's "here is how I would approach it" line


@dataclass(slots=True)
class LikelyQuestion:
    cluster_id: str
    cluster_name: str
    kind: str
    text: str
    asked_by: str  # the JD span that asked for its competency
    plan: str


@dataclass(slots=True)
class WeakSpot:
    cluster_id: str
    name: str
    why: str
    today: str


@dataclass(slots=True)
class RedFlag:
    id: str
    text: str
    instead: str
    seen: str  # "Evaluation & quality 3/17, ...": graded practice answers on this JD's competencies that showed it


@dataclass(slots=True)
class Brief:
    jd_id: int
    title: str
    flavor: str
    level: str
    show_level: str  # seed 000: one level above the minimum
    show_how: str
    framing: str  # the flavor the story openings are framed for
    clusters: list[ClusterBrief]
    questions: list[LikelyQuestion]
    weak_spots: list[WeakSpot]
    red_flags: list[RedFlag]
    to_add: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@cache
def red_flag_counts() -> dict[str, Any]:
    """Counts of each red flag per competency in graded answers (scripts/count_red_flags.py)."""
    return json.loads(resources.files("coach").joinpath("data", "red_flag_counts.json").read_text(encoding="utf-8"))


def framing_flavor(decode: Decode) -> str:
    """The retargeting flavor closest to the role: the decode's call where a template exists for it, else the
    most probable flavor that has one (an AI Product posting gets its runner-up's framing)."""
    if decode.flavor.value in RETARGET_FLAVORS:
        return decode.flavor.value
    scores = decode.flavor.scores or {}
    return max(RETARGET_FLAVORS, key=lambda f: (scores.get(f, 0.0), f == "applied_ai_engineer"))


def approach_line(cluster_id: str, level: str | None, bank: tuple[Question, ...]) -> str:
    """Seed 000's answer for a gap with no story: the design points of the bank's question on it."""
    candidates = [q for q in bank if q.cluster == cluster_id and q.kind != "behavioural" and fits(q, level)]
    candidates.sort(key=lambda q: (q.kind != "system_design", q.level != level, q.id))
    if not candidates or not candidates[0].look_for:
        return "Here is how I would approach it: the problem, the options, the trade-off I would choose, how I would measure it."
    return "Here is how I would approach it: " + "; ".join(candidates[0].look_for[:APPROACH_POINTS]) + "."


SPAN_CHARS = 110  # the JD's words shown beside a question: one bullet's worth


def _best_span(cluster: ClusterResult, decode: Decode, question: str) -> str:
    """The JD's words that asked for this competency: the unit (bullet or sentence) around the keyword
    closest in words to the question (the first on a tie), cut to about one line at a word boundary."""
    words = {w.strip("?,.").lower() for w in question.split() if len(w) > 3}
    units = [next((u for u in decode.units if u.start <= s < u.end), None) for s, _ in cluster.spans]
    quotes = [" ".join((u.text if u else decode.text[s:e]).split()) for u, (s, e) in zip(units, cluster.spans)]
    quotes = quotes or [cluster.name]
    best = max(quotes, key=lambda q: (len(words & {w.strip(",.").lower() for w in q.split()}), -quotes.index(q)))
    if len(best) <= SPAN_CHARS:
        return best
    return best[:SPAN_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def likely_questions(decode: Decode, *, n: int = N_QUESTIONS, bank: tuple[Question, ...] | None = None
                     ) -> list[tuple[ClusterResult, Question, str]]:
    """The questions this JD most likely produces, each with the JD span that asks for it. Most likely =
    heaviest first: every cluster counts as unrated, so only the JD's weight orders them."""
    if not decode.clusters:
        return []
    out = []
    for planned in plan_session(decode, n=n, confidences={}, bank=bank):
        cluster = next(c for c in decode.clusters if c.id == planned.cluster_id)
        out.append((cluster, planned.question, _best_span(cluster, decode, planned.question.text)))
    return out


def _question_plan(question: Question, cluster: ClusterBrief) -> str:
    if question.kind == "behavioural":
        look = f"; make sure it has {question.look_for[0]}" if question.look_for else ""
        if cluster.story:
            return f"Tell “{cluster.story}”{look}."
        return f"No story linked yet: pick the project closest to it{look}."
    return "Design points: " + "; ".join(question.look_for[:APPROACH_POINTS]) + "."


def _latest_scores(scores: list[ScoreRecord]) -> dict[str, list[ScoreRecord]]:
    out: dict[str, list[ScoreRecord]] = {}
    for record in sorted(scores, key=lambda r: r.scored_at):
        out.setdefault(record.cluster_id, []).append(record)
    return out


def _weakest_instruction(record: ScoreRecord) -> str | None:
    criteria = [c for c in record.rubric.get("criteria", []) if c.get("score", 2) < 2 and c.get("id") in INSTRUCTIONS]
    if not criteria:
        return None
    return INSTRUCTIONS[min(criteria, key=lambda c: c["score"])["id"]]


def _weak_spots(clusters: list[ClusterBrief], history: dict[str, list[ScoreRecord]]) -> list[WeakSpot]:
    spots = []
    for c in sorted(clusters, key=lambda c: (-gap_priority(c.weight, c.confidence), -c.weight)):
        scored = history.get(c.cluster_id, [])
        low_rating = c.confidence is not None and c.confidence <= WEAK_CONFIDENCE
        low_score = bool(scored) and scored[-1].overall <= WEAK_SCORE
        if not (low_rating or low_score):
            continue
        why = []
        if low_rating:
            why.append(f"confidence {c.confidence} in your matrix")
        if low_score:
            recent = [r.overall for r in scored[-3:]]
            why.append(f"last interview answer scored {scored[-1].overall}/5"
                       + (f" (last {len(recent)}: {', '.join(map(str, recent))})" if len(recent) > 1 else ""))
        instruction = _weakest_instruction(scored[-1]) if low_score else None
        if c.confidence == 1:
            today = "read one article on it and prepare a “here is how I would approach it” answer from the points above."
        elif instruction:
            today = f"answer one {c.name} question again and {instruction}."
        elif c.story:
            today = f"rehearse “{c.story}” aloud as one strong STAR story, ending on its measured outcome."
        else:
            today = "prepare one strong STAR story: a project that shows it and one measurable outcome."
        spots.append(WeakSpot(c.cluster_id, c.name, "; ".join(why), today))
    return spots


def _red_flags(decode: Decode) -> list[RedFlag]:
    """Seed 004's red flags, those graded answers on this JD's competencies showed most (JD-weighted) first."""
    counts = red_flag_counts()
    answers = counts["answers"]
    weights = {c.id: c.weight for c in decode.clusters}
    total = sum(weights.values()) or 1.0
    ranked = []
    for flag_id, (text, instead) in RED_FLAGS.items():
        per_cluster = counts["flags"].get(flag_id, {})
        rate = sum(w * per_cluster.get(cid, 0) / answers[cid] for cid, w in weights.items() if answers.get(cid)) / total
        seen = ", ".join(f"{c.name} {per_cluster[c.id]}/{answers[c.id]}" for c in decode.clusters if per_cluster.get(c.id))
        ranked.append((-rate, list(RED_FLAGS).index(flag_id), RedFlag(flag_id, text, instead, seen)))
    return [flag for *_, flag in sorted(ranked, key=lambda r: (r[0], r[1]))]


def build_brief(*, jd_id: int, title: str, decode: Decode, ratings: dict[str, int | None],
                stories: list[tuple[Story, dict[str, float]]], scores: list[ScoreRecord],
                bank: tuple[Question, ...] | None = None) -> Brief:
    """The brief for one decoded JD.

    ratings: cluster id -> the user's confidence (None: unrated); stories: each story with the competencies
    it is linked to (cluster id -> link score); scores: past interview scores on any competency.
    """
    bank = bank or load_bank()
    level = decode.level.value
    if level in LEVELS:
        show = LEVELS[min(LEVELS.index(level) + 1, len(LEVELS) - 1)]
        show_how = (f"Aim one level above the minimum (seed 000): show {show} signals — {LEVEL_SIGNALS[show]}"
                    + (" — in at least two answers." if show != level else "; this is the top of the scale."))
    else:
        show, show_how = "unclear", "The JD names no level clearly: show L5 signals — " + LEVEL_SIGNALS["L5"] + "."
    framing = framing_flavor(decode)
    clusters = []
    for cluster in decode.clusters:
        linked = sorted(((links[cluster.id], s.id or 0, s) for s, links in stories if cluster.id in links),
                        key=lambda t: (-t[0], t[1]))
        story = linked[0][2] if linked else None
        confidence = ratings.get(cluster.id)
        clusters.append(ClusterBrief(
            cluster.id, cluster.name, cluster.weight, [" ".join(decode.text[s:e].split()) for s, e in cluster.spans],
            confidence, story.title if story else None,
            template_openings(story)[framing] if story else None,
            approach_line(cluster.id, level, bank) if story is None or confidence == 1 else None))
    by_id = {c.cluster_id: c for c in clusters}
    questions = []
    for cluster, q, span in likely_questions(decode, n=N_QUESTIONS, bank=bank):
        questions.append(LikelyQuestion(cluster.id, cluster.name, q.kind, q.text, span,
                                        _question_plan(q, by_id[cluster.id])))
    weak = _weak_spots(clusters, _latest_scores([s for s in scores if s.cluster_id in by_id]))
    brief = Brief(jd_id, title, flavor_line(decode.flavor), level_line(decode.level), show, show_how,
                  flavor_name(framing), clusters, questions, weak, _red_flags(decode) if decode.clusters else [],
                  notes=list(decode.notes))
    brief.to_add = _to_add(brief, jd_id, stories, scores)
    return brief


def _to_add(brief: Brief, jd_id: int, stories: list[Any], scores: list[ScoreRecord]) -> list[str]:
    """What the user can add to make the brief theirs: said only where it is missing."""
    out = []
    if not brief.clusters:
        return ["This text has no recognisable competency: decode a job description to get a brief."]
    unrated = [c for c in brief.clusters if c.confidence is None]
    if unrated:
        example = unrated[0].cluster_id
        out.append(f"Rate your confidence (1–5) in {len(unrated)} of {len(brief.clusters)} competencies: "
                   f"`coach gaps {jd_id} --rate {example}=3` (app: F4, keys 1–5). Weak spots come from these ratings.")
    if not stories:
        out.append("Add a story from your own work: `coach stories add --title ... --action ... --result ...` "
                   "(app: F5). The brief then picks your best one per competency and frames its opening.")
    else:
        bare = [c.name for c in brief.clusters if c.story is None]
        if bare:
            out.append(f"No story linked yet for: {', '.join(bare)}. Add or link one (`coach stories link ID --add CLUSTER`).")
    if not any(s.cluster_id in {c.cluster_id for c in brief.clusters} for s in scores):
        out.append("Practise in a mock interview (`coach interview --jd FILE`, app: F6): its scores show your "
                   "weak spots here.")
    return out
