"""The level a posting names for itself: its earliest own mention, not the highest level named anywhere."""

from __future__ import annotations

import pytest

from coach.decode import _rule_level, level_readings
from coach.segment import segment

SENIOR_WITH_STAFF_AROUND = """Senior RAG Engineer

About the role
Our support assistant answers two million questions a month, and retrieval quality is what users notice first.
As a Senior RAG Engineer you will own the retrieval stack end to end, from chunking to reranking.

What you'll do
- Ship ranking changes behind offline evals without waiting for a principal-level review.
- Each pod's principal engineer sets the technical direction; you partner with principal scientists on new retrievers.
- Write design docs that the team's staff engineer reviews, and grow toward staff engineer within two years.

What we're looking for
- 5+ years building search or recommendation systems in Python
- Experience with vector databases and hybrid retrieval
"""

STAFF_MENTORING_SENIORS = """Staff Machine Learning Engineer

About the role
You will set the technical direction for ranking across the company and mentor senior engineers on our team.
- Work with senior product managers to define the multi-year roadmap.
- Coach junior engineers through their first launches.
- 10+ years of experience shipping ML systems
"""


def _readings(text: str) -> tuple[str | None, str]:
    _, totals, explicit, years = level_readings(text, segment(text))
    return explicit, _rule_level(totals, explicit, years)


@pytest.mark.parametrize("text", [
    SENIOR_WITH_STAFF_AROUND,
    SENIOR_WITH_STAFF_AROUND.split("\n", 2)[2],  # title removed: the opening sentence names the role
])
def test_senior_title_reads_l5_despite_staff_and_principal_nearby(text):
    assert _readings(text) == ("L5", "L5")


@pytest.mark.parametrize("text", [
    STAFF_MENTORING_SENIORS,
    STAFF_MENTORING_SENIORS.split("\n", 2)[2].replace("You will", "As a Staff ML Engineer you will", 1),
])
def test_staff_title_mentoring_seniors_stays_staff(text):
    assert _readings(text) == ("Staff", "Staff")


def test_senior_staff_is_one_mention_of_staff():
    assert _readings("Senior Staff Machine Learning Engineer\n\n- Own the relevance roadmap across teams.")[0] == "Staff"


def test_grow_toward_a_level_is_not_the_roles_level():
    assert _readings("- Build retrieval pipelines and grow toward staff engineer.")[0] is None


# The labelling guide's seniority words (docs/labelling-postings.md), as titles write them.
@pytest.mark.parametrize("title,level", [
    ("Lead Machine Learning Engineer - ML/AI", "Staff"),
    ("Distinguished LLM Engineer", "Staff"),
    ("Principal AI Architect - Remote", "Staff"),
    ("Tech Lead, Search Ranking", "Staff"),
    ("Sr. Machine Learning Engineer, Content Signals", "L5"),
    ("Software Engineer III, Inference", "L5"),
    ("Machine Learning Engineer II, Personalization", "L4"),
    ("Associate ML Engineer", "L4"),
])
def test_title_seniority_words_of_the_guide(title, level):
    assert _readings(f"{title}\n\n- Build and ship ranking models in Python.")[0] == level


def test_lead_as_a_verb_names_no_level():
    assert _readings("- Lead the design of our ML engineer onboarding and evaluation tooling.")[0] is None


@pytest.mark.parametrize("bullet,years", [
    ("8+ years designing, building and launching backend systems", 8),
    ("10+ years applying AI, machine learning or statistical modelling", 10),
    ("At least 5 years of relevant work after graduating", 5),
    ("A degree in statistics plus five years of work or research experience", 5),
    ("5+ years of experience with Python", 5),
    ("Over the next three years you can expect more standardization in ML tooling", None),
])
def test_years_asked_as_postings_write_them(bullet, years):
    text = f"Requirements\n- {bullet}"
    assert level_readings(text, segment(text))[3] == years
