"""The morning-of brief (issue 14): built from the saved decode and the user's records, no model."""

import pytest
from test_decode import WORKED_EXAMPLE
from test_rubric import ANSWERS

from coach import records
from coach.brief import RED_FLAGS, framing_flavor
from coach.brief_render import brief_html, brief_markdown
from coach.matrix import set_row
from coach.rubric import INSTRUCTIONS
from coach.services import interviewing
from coach.services.briefing import brief_for, export_brief
from coach.services.decoding import decode_and_save, load_decode
from coach.storage import open_db
from coach.stories import Story, add_link, save_story, template_openings
from models.errors import InputError
from tui.cli import main

# Seed 000, "Map to your skills": the worked example's matrix ("RAG system design" is the retrieval cluster).
SEED_RATINGS = {"evaluation": 4, "retrieval_rag": 5, "cross_functional": 2, "reliability_debugging": 4,
                "safety_privacy": 1}


@pytest.fixture
def db():
    return open_db()


@pytest.fixture
def jd_id(db):
    return decode_and_save(db, WORKED_EXAMPLE, embedder=None, title="LLM Engineer, evaluation").jd.id


def test_the_worked_example_brief_names_evaluation_then_debugging_with_questions_tied_to_the_jd(db, jd_id):
    brief = brief_for(db, jd_id)
    assert [c.cluster_id for c in brief.clusters[:2]] == ["evaluation", "reliability_debugging"]
    assert brief.clusters[0].quotes == ["evaluation infrastructure", "quality thresholds"]
    assert 3 <= len(brief.questions) <= 5
    assert brief.questions[0].cluster_id == "evaluation"
    for question in brief.questions:
        assert question.asked_by in " ".join(WORKED_EXAMPLE.split()) and question.plan
    markdown = brief_markdown(brief)
    assert markdown.index("### 1. Evaluation & quality") < markdown.index("### 2. Debugging & reliability")
    assert "LLM engineer" in brief.flavor and brief.framing == "LLM engineer"
    # Seed 000: aim one level above the minimum.
    assert brief.show_level == {"L4": "L5", "L5": "Staff", "Staff": "Staff"}[brief.level.split()[0].rstrip(",")]


def test_the_seeds_two_gaps_are_the_weak_spots_once_its_ratings_are_entered(db, jd_id):
    assert brief_for(db, jd_id).weak_spots == []
    for cluster, confidence in SEED_RATINGS.items():
        set_row(db, jd_id, cluster, confidence=confidence)
    set_row(db, jd_id, "prompting", confidence=3)  # not in the seed's matrix: a 3 is no gap (seed 000: 1-2 are)
    spots = {w.cluster_id: w for w in brief_for(db, jd_id).weak_spots}
    assert set(spots) == {"cross_functional", "safety_privacy"}
    # Seed 000's prescriptions: confidence 2 -> one strong STAR story; confidence 1 -> "how I would approach it".
    assert "STAR story" in spots["cross_functional"].today
    assert "here is how I would approach it" in spots["safety_privacy"].today
    safety = next(c for c in brief_for(db, jd_id).clusters if c.cluster_id == "safety_privacy")
    assert safety.approach and safety.approach.startswith("Here is how I would approach it: ")


def test_the_best_linked_story_opens_framed_for_the_roles_flavor(db, jd_id):
    weak = save_story(db, Story("Side project", action="tried an eval script once", result="it ran"))
    strong = save_story(db, Story("Support-bot RAG", action="Built a RAGAS evaluation pipeline and gated releases on it",
                                  result="faithfulness rose from 71% to 87%"))
    records.replace_auto_links(db, weak.id, [("evaluation", 0.41)])  # as auto_link stores a semantic match
    records.replace_auto_links(db, strong.id, [("evaluation", 0.63), ("reliability_debugging", 0.40)])
    brief = brief_for(db, jd_id)
    evaluation, debugging = brief.clusters[:2]
    assert evaluation.story == "Support-bot RAG" and debugging.story == "Support-bot RAG"
    assert evaluation.opening == template_openings(strong)["llm_engineer"] and evaluation.approach is None
    assert brief.questions[0].plan.startswith("Tell “Support-bot RAG”")
    assert all(c.story is None and c.approach for c in brief.clusters[2:])


def test_an_ai_product_posting_is_framed_as_its_closest_retargeting_flavor(db, jd_id):
    decode = load_decode(db, jd_id, embedder=None).decode
    decode.flavor.value = "ai_product_engineer"
    decode.flavor.scores = {"ai_product_engineer": 0.5, "applied_ai_engineer": 0.3, "llm_engineer": 0.2}
    assert framing_flavor(decode) == "applied_ai_engineer"


def test_a_weak_interview_score_is_a_weak_spot_with_the_rubrics_missing_criterion(db, jd_id):
    session = interviewing.start(db, jd_id, n=1, embedder=None)
    ready = list(interviewing.ask_next(db, session, model=None, embedder=None))[-1]
    answer_id = interviewing.submit(db, session, ready.turn, ANSWERS["vague"])
    list(interviewing.score(db, answer_id=answer_id, turn=ready.turn, answer=ANSWERS["vague"], embedder=None,
                            model=None))
    brief = brief_for(db, jd_id)
    spot = next(w for w in brief.weak_spots if w.cluster_id == ready.turn.cluster_id)
    assert "last interview answer scored" in spot.why
    assert any(instruction in spot.today for instruction in INSTRUCTIONS.values())
    assert not any("mock interview" in item for item in brief.to_add)


def test_with_nothing_added_the_brief_is_still_useful_and_says_what_to_add(db, jd_id):
    brief = brief_for(db, jd_id)
    assert all(c.confidence is None and c.story is None and c.approach for c in brief.clusters)
    assert len(brief.questions) >= 3 and len(brief.red_flags) == len(RED_FLAGS)
    adds = " ".join(brief.to_add)
    assert f"coach gaps {jd_id} --rate" in adds and "coach stories add" in adds and "mock interview" in adds
    assert "## To make this brief yours" in brief_markdown(brief)


def test_red_flags_come_first_where_graded_answers_on_the_jds_competencies_showed_them(db, jd_id):
    flags = brief_for(db, jd_id).red_flags
    assert flags[0].id == "dismiss_eval" and "Evaluation & quality" in flags[0].seen  # the JD is evaluation-heavy
    assert {f.id for f in flags} == set(RED_FLAGS)


def test_an_unknown_jd_is_a_one_line_error(db, capsys):
    with pytest.raises(InputError, match="no saved job description with id 99"):
        brief_for(db, 99)
    assert main(["brief", "99"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no saved job description with id 99" in err


def test_user_text_stays_text_in_markdown_and_html(db):
    hostile = "Engineer <script>alert(1)</script> [click](javascript:alert(2)) **bold**"
    jd = decode_and_save(db, WORKED_EXAMPLE + " " + hostile, embedder=None, title=hostile).jd
    story = save_story(db, Story("<img src=x onerror=alert(3)>", action="Built an eval `rm -rf` [x](http://e.vil)"))
    add_link(db, story.id, "evaluation")
    brief = brief_for(db, jd.id)
    page = brief_html(brief)
    assert "<script" not in page and "<img" not in page and "href" not in page and "<strong>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(3)&gt;" in page
    assert "http" not in page.replace("http://e.vil", "")  # no external asset, link or font
    assert "\\[click\\]" in brief_markdown(brief)


def test_the_cli_writes_markdown_or_a_printable_page(db, jd_id, tmp_path, capsys):
    assert main(["brief", str(jd_id)]) == 0
    assert capsys.readouterr().out.startswith("# Morning-of brief: LLM Engineer, evaluation")
    out = tmp_path / "brief.html"
    assert main(["brief", str(jd_id), "--html", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<h2>Questions you will most likely get</h2>" in page
    md_path, html_path = export_brief(brief_for(db, jd_id), tmp_path / "exports")
    assert md_path.read_text(encoding="utf-8") == brief_markdown(brief_for(db, jd_id))
    assert html_path.name == f"brief-{jd_id}.html"


def test_the_markdown_renders_as_it_did(db, jd_id, snapshot):
    for cluster, confidence in SEED_RATINGS.items():
        set_row(db, jd_id, cluster, confidence=confidence)
    story = save_story(db, Story("Support-bot RAG", situation="Support team drowning in tickets",
                                 action="Built a RAGAS evaluation pipeline and gated releases on it",
                                 result="faithfulness rose from 71% to 87%"))
    add_link(db, story.id, "evaluation")
    assert brief_markdown(brief_for(db, jd_id)) == snapshot
