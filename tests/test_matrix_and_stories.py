"""Competency matrix (gap analysis) and story bank, on the seed's worked example."""

import pytest
from test_decode import WORKED_EXAMPLE

from coach.decode import decode
from coach.jds import get_jd, list_jds, save_decode, save_jd
from coach.matrix import build_matrix, matrix_markdown, set_row
from coach.storage import open_db
from coach.stories import (
    Story,
    add_link,
    auto_link,
    get_story,
    links,
    remove_link,
    retarget,
    save_story,
    template_openings,
)
from models.errors import InputError
from models.fake import FakeTextModel

RAG_STORY = Story(
    title="Support-bot RAG pipeline",
    situation="Our support chatbot answered from stale help articles and customers complained.",
    task="I was asked to make its answers grounded and measurably better within a quarter.",
    action="I built hybrid BM25 plus dense retrieval over the help center, added a reranker, and set up RAGAS "
           "evaluations with a 300-question golden set.",
    result="Answer faithfulness rose from 71% to 87% and escalations fell by a fifth.",
)


@pytest.fixture
def db(isolated_home):
    return open_db()


def test_jds_are_saved_once_and_listed(db):
    first = save_jd(db, WORKED_EXAMPLE, "Eval infra, LLM team")
    again = save_jd(db, WORKED_EXAMPLE)
    assert first.id == again.id and get_jd(db, first.id).title == "Eval infra, LLM team"
    assert [j.id for j in list_jds(db)] == [first.id]
    save_decode(db, first.id, decode(WORKED_EXAMPLE))
    assert db["decodes"].count == 1
    with pytest.raises(InputError, match="no saved job description"):
        get_jd(db, 999)


def test_gap_priority_is_weight_times_five_minus_confidence_and_top_two_are_flagged(db):
    # The seed's matrix: evaluation 4, debugging 4, cross-functional 2, safety 1 (RAG 5, prompting unrated).
    jd = save_jd(db, WORKED_EXAMPLE)
    result = decode(WORKED_EXAMPLE)
    for cluster_id, confidence, evidence in [
        ("evaluation", 4, "Built RAGAS pipeline for RAG chatbot"), ("reliability_debugging", 4, "Fixed hallucination"),
        ("cross_functional", 2, "Presented eval results to PM and legal once"), ("retrieval_rag", 5, "3 RAG projects"),
        ("safety_privacy", 1, "Read documentation, no production experience"),
    ]:
        set_row(db, jd.id, cluster_id, evidence=evidence, confidence=confidence)
    set_row(db, jd.id, "prompting", confidence=3)
    rows = {r.cluster_id: r for r in build_matrix(db, jd.id, result)}
    assert rows["evaluation"].priority == 3 * (5 - 4)
    assert rows["cross_functional"].priority == 1 * (5 - 2)
    assert rows["safety_privacy"].priority == 0.5 * (5 - 1)
    assert rows["retrieval_rag"].priority == 0
    # Priorities: evaluation 3, cross-functional 3, debugging 2, prompting 2, safety 2, RAG 0.
    assert sorted(r.cluster_id for r in rows.values() if r.this_week) == ["cross_functional", "evaluation"]


def test_matrix_is_saved_and_exported_as_markdown(db):
    jd = save_jd(db, WORKED_EXAMPLE, "Eval | infra")
    set_row(db, jd.id, "safety_privacy", evidence="Read the docs", confidence=1)
    set_row(db, jd.id, "safety_privacy", confidence=2)  # evidence kept when only confidence changes
    rows = build_matrix(open_db(), jd.id, decode(WORKED_EXAMPLE))
    safety = [r for r in rows if r.cluster_id == "safety_privacy"][0]
    assert (safety.evidence, safety.confidence) == ("Read the docs", 2)
    markdown = matrix_markdown(rows, "Eval | infra")
    assert markdown.startswith("# Competency matrix: Eval \\| infra")
    assert "| Evaluation & quality | 3 | — | unrated | 6 **← this week** |" in markdown  # unrated counts as 3
    assert "## This week's priorities" in markdown


def test_confidence_outside_one_to_five_is_refused(db):
    jd = save_jd(db, WORKED_EXAMPLE)
    with pytest.raises(InputError, match="1 to 5"):
        set_row(db, jd.id, "evaluation", confidence=7)


def test_a_story_needs_a_title_and_some_star(db):
    with pytest.raises(InputError):
        save_story(db, Story(title=" "))
    with pytest.raises(InputError):
        save_story(db, Story(title="Empty"))
    saved = save_story(db, Story(RAG_STORY.title, RAG_STORY.situation, RAG_STORY.task, RAG_STORY.action,
                                 RAG_STORY.result))
    assert get_story(db, saved.id).action == RAG_STORY.action


def test_template_openings_without_a_model_keep_the_facts():
    openings = template_openings(RAG_STORY)
    assert list(openings) == ["ml_engineer", "llm_engineer", "applied_ai_engineer"]
    assert all("87%" in text and RAG_STORY.title in text for text in openings.values())
    assert len(set(openings.values())) == 3


def test_retarget_with_a_model_streams_three_openings():
    model = FakeTextModel(reply="I designed the retrieval and evaluation for our support bot.")
    pieces = list(retarget(RAG_STORY, model))
    flavors = [f for f, _ in pieces]
    assert sorted(set(flavors)) == ["applied_ai_engineer", "llm_engineer", "ml_engineer"]
    assert all(RAG_STORY.action in p for p in model.prompts) and len(model.prompts) == 3
    assert list(retarget(RAG_STORY, None)) == list(template_openings(RAG_STORY).items())


@pytest.mark.real_model
def test_stories_link_to_competencies_by_meaning_and_the_user_can_edit_links(db, embedder):
    story = save_story(db, Story(RAG_STORY.title, RAG_STORY.situation, RAG_STORY.task, RAG_STORY.action,
                                 RAG_STORY.result))
    linked = [link.cluster_id for link in auto_link(db, story, embedder)]
    assert "retrieval_rag" in linked and "evaluation" in linked
    assert "training_finetuning" not in linked and "domain" not in linked
    # A story with no keyword of the cluster still links by meaning.
    text = ("I was woken at 3am when checkout stopped answering, traced it to a full disk on one node and wrote "
            "down the steps so it never paged anyone again.")
    from coach.decode import keyword_matchers
    from coach.taxonomy import load_taxonomy

    matcher, _ = keyword_matchers(load_taxonomy())
    assert not [h for h in matcher.find(text, 0, len(text)) if h[0] == "reliability_debugging"]
    paged = save_story(db, Story("Night pager", action=text))
    assert "reliability_debugging" in [link.cluster_id for link in auto_link(db, paged, embedder)]
    remove_link(db, story.id, "evaluation")
    add_link(db, story.id, "cross_functional")
    relinked = {link.cluster_id: link.source for link in auto_link(db, story, embedder)}
    assert "evaluation" not in relinked  # the user's removal survives re-linking
    assert relinked["cross_functional"] == "manual"
    assert {link.cluster_id for link in links(db, story.id)} == set(relinked)
    jd = save_jd(db, WORKED_EXAMPLE)
    rows = {r.cluster_id: r for r in build_matrix(db, jd.id, decode(WORKED_EXAMPLE))}
    assert RAG_STORY.title in rows["retrieval_rag"].stories
