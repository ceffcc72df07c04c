"""Mock interview sessions: planning, storage the moment an answer is submitted, resume, progress."""

import time

import numpy as np
import pytest
from test_decode import WORKED_EXAMPLE
from test_rubric import ANSWERS

from coach import interview as iv
from coach.decode import decode
from coach.feedback import FeedbackDone
from coach.jds import save_jd
from coach.progress import SPACING_DAYS, checklist, history, next_drills
from coach.questions import load_bank
from coach.rubric import RubricResult
from coach.storage import open_db
from coach.taxonomy import load_taxonomy
from models.errors import InputError
from models.fake import FakeTextModel


@pytest.fixture
def db(isolated_home):
    return open_db()


def test_the_bank_is_grounded_and_covers_every_cluster():
    bank = load_bank()
    clusters = {c.id for c in load_taxonomy().clusters}
    assert {q.cluster for q in bank} == clusters
    assert len({q.id for q in bank}) == len(bank)
    for cluster in clusters:
        kinds = [q.kind for q in bank if q.cluster == cluster]
        assert kinds.count("behavioural") >= 2 and len(kinds) - kinds.count("behavioural") >= 2
    assert all(q.source.startswith("seed 00") and q.look_for for q in bank)


def test_plan_aims_at_heavy_clusters_and_weak_evidence():
    result = decode(WORKED_EXAMPLE)
    plan = iv.plan_session(result, n=4)
    assert [p.cluster_id for p in plan[:2]] == ["evaluation", "reliability_debugging"]
    # Strong on evaluation and debugging, weak on cross-functional: the gap comes first.
    plan = iv.plan_session(result, n=4, confidences={"evaluation": 5, "reliability_debugging": 4,
                                                      "cross_functional": 1})
    assert plan[0].cluster_id == "cross_functional" and "evaluation" not in [p.cluster_id for p in plan[:3]]


def test_plan_never_repeats_a_near_duplicate():
    plan = iv.plan_session(decode(WORKED_EXAMPLE), n=12)
    texts = [p.question.text for p in plan]
    assert len(plan) == 12 and len(set(texts)) == 12
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            overlap = len(iv._words(a) & iv._words(b)) / len(iv._words(a) | iv._words(b))
            assert overlap < iv.NEAR_DUPLICATE_WORDS


@pytest.mark.real_model
def test_plan_with_embeddings_has_no_near_duplicates(embedder):
    plan = iv.plan_session(decode(WORKED_EXAMPLE, embedder=embedder), n=10, embedder=embedder)
    vectors = embedder.embed([p.question.text for p in plan])
    sims = vectors @ vectors.T
    off_diagonal = ~np.eye(len(plan), dtype=bool)
    assert (sims[off_diagonal] < iv.NEAR_DUPLICATE).all()


def test_a_session_stores_each_answer_at_once_and_resumes(db):
    result = decode(WORKED_EXAMPLE)
    jd = save_jd(db, WORKED_EXAMPLE)
    interview_id = iv.start_interview(db, jd_id=jd.id, decode=result, plan=iv.plan_session(result, n=3))
    turn = iv.next_turn(db, interview_id)
    answer_id = iv.submit_answer(db, interview_id, turn.idx, ANSWERS["specific"])
    # Stored before scoring: a fresh connection (another process after a crash) sees it, unscored.
    assert [a["text"] for a in iv.unscored_answers(open_db(), interview_id)] == [ANSWERS["specific"]]
    follow_up = "How did you choose the 85% threshold?"  # the fake answers every part with it: only one part fits
    events = list(iv.score_and_coach(db, answer_id=answer_id, turn=turn, answer=ANSWERS["specific"],
                                     embedder=None, model=FakeTextModel(reply=follow_up)))
    assert isinstance(events[0], RubricResult)
    assert [e.slot.id for e in events if isinstance(e, FeedbackDone)] == ["landed", "sharpen", "follow_up", "opening"]
    assert iv.unscored_answers(db, interview_id) == []
    # "Restart": everything comes back from the database.
    again = open_db()
    turns = iv.turns(again, interview_id)
    assert turns[0].answer == ANSWERS["specific"] and turns[0].rubric["overall"] >= 4
    assert turns[0].feedback["follow_up"] == {"text": "How did you choose the 85% threshold?", "source": "model"}
    assert iv.next_turn(again, interview_id).idx == 1
    assert [r["id"] for r in iv.active_interviews(again)] == [interview_id]
    for turn in turns[1:]:
        answer_id = iv.submit_answer(again, interview_id, turn.idx, "I don't know.")
        list(iv.score_and_coach(again, answer_id=answer_id, turn=turn, answer="I don't know.", embedder=None, model=None))
    assert iv.finish_if_done(again, interview_id) and iv.active_interviews(again) == []


def test_tailored_questions_must_stay_a_question_about_the_competency():
    question = next(q for q in load_bank() if q.cluster == "evaluation")
    assert iv.accept_tailored("You'll own the evaluation infrastructure here: how would you decide a launch gate?",
                              question, None)
    assert not iv.accept_tailored("Sure! Here is a question.", question, None)
    assert not iv.accept_tailored("", question, None)
    messages = iv.tailor_messages(question, decode(WORKED_EXAMPLE))
    assert "“evaluation infrastructure”" in messages[1].content and question.text in messages[1].content


@pytest.mark.real_model
def test_a_tailored_question_that_drifts_off_competency_is_refused(embedder):
    question = next(q for q in load_bank() if q.cluster == "evaluation")
    assert not iv.accept_tailored("What is your favourite holiday destination and why do you love it?", question,
                                  embedder)
    assert iv.accept_tailored("How would you build the golden set and quality thresholds for our LLM evaluation "
                              "infrastructure?", question, embedder)


def _score(db, cluster: str, overall: int, at: float) -> None:
    interview_id = db["interviews"].insert({"status": "done", "created_at": at, "updated_at": at}).last_pk
    answer_id = db["answers"].insert({"interview_id": interview_id, "idx": 0, "text": "x", "submitted_at": at}).last_pk
    db["scores"].insert({"answer_id": answer_id, "cluster_id": cluster, "overall": overall, "points": 0,
                         "rubric_json": "{}", "feedback_json": "{}", "scored_at": at})


def test_spacing_an_answer_scored_2_comes_back_sooner_than_one_scored_4(db):
    assert SPACING_DAYS[2] < SPACING_DAYS[4]
    now = time.time()
    _score(db, "evaluation", 4, now - 2 * 86400)
    _score(db, "prompting", 2, now - 2 * 86400)
    drills = next_drills(db, now=now)
    assert drills[0].cluster_id == "prompting" and drills[0].due <= now
    evaluation = next(d for d in drills if d.cluster_id == "evaluation")
    assert evaluation.due > now
    assert {h.cluster_id: h.last for h in history(db)} == {"evaluation": 4, "prompting": 2}


def test_checklist_is_ticked_from_what_was_done(db):
    from coach.jds import save_decode
    from coach.matrix import set_row
    from coach.stories import Story, retarget, save_story

    assert not any(done for _, done, _ in checklist(db))
    jd = save_jd(db, WORKED_EXAMPLE)
    save_decode(db, jd.id, decode(WORKED_EXAMPLE))
    set_row(db, jd.id, "evaluation", confidence=4)
    set_row(db, jd.id, "safety_privacy", confidence=1)
    story = save_story(db, Story("RAG bot", action="I built retrieval.", result="Faithfulness rose to 87%."))
    list(retarget(story, None, db))
    ticks = [done for _, done, _ in checklist(db)]
    assert ticks[:4] == [True, True, True, True] and ticks[4] is False


@pytest.mark.real_model
def test_a_real_question_answer_feedback_round(db, embedder, fast_chat_model):
    """End to end with a real model, through the service the app and the CLI use: ask (tailored), answer, score,
    stream feedback; all of it stored."""
    from coach.services import interviewing as flow
    from coach.services.decoding import decode_and_save

    decoded = decode_and_save(db, WORKED_EXAMPLE, embedder=embedder)
    session = flow.start(db, decoded.jd.id, n=1, embedder=embedder)
    events = list(flow.ask_next(db, session, model=fast_chat_model, embedder=embedder))
    ready = events[-1]
    assert isinstance(ready, flow.QuestionReady)
    if ready.tailored:
        assert ready.turn.text.endswith("?") and ready.turn.text.count("?") == 1  # never two questions glued
    else:  # the model's question was refused (no single question, or it drifted): the bank's own is asked
        assert ready.turn.text == next(q.text for q in load_bank() if q.id == ready.turn.question_id)
    turn = ready.turn
    answer_id = flow.submit(db, session, turn, ANSWERS["specific"])
    events = list(flow.score(db, answer_id=answer_id, turn=turn, answer=ANSWERS["specific"], embedder=embedder,
                             model=fast_chat_model))
    rubric = events[0]
    assert isinstance(rubric, RubricResult) and rubric.overall >= 4
    done = {e.slot.id: e for e in events if isinstance(e, FeedbackDone)}
    assert list(done) == ["landed", "sharpen", "follow_up", "opening"] and all(d.text for d in done.values())
    stored = iv.turns(open_db(), session.interview_id)[0]
    assert stored.text == turn.text and stored.rubric["overall"] == rubric.overall
    assert stored.feedback["follow_up"]["text"] == done["follow_up"].text


def test_the_asked_question_is_tailored_once_and_a_glued_second_question_is_cut(db):
    from coach.services import interviewing as flow
    from coach.services.decoding import decode_and_save

    decoded = decode_and_save(db, WORKED_EXAMPLE, embedder=None)
    session = flow.start(db, decoded.jd.id, n=2, embedder=None)
    model = FakeTextModel(reply="How would you gate launches on our evaluation infrastructure?How did you measure it?")
    events = list(flow.ask_next(db, session, model=model, embedder=None))
    ready = events[-1]
    assert ready.tailored and ready.turn.text == "How would you gate launches on our evaluation infrastructure?"
    streamed = "".join(e.text for e in events if isinstance(e, flow.QuestionText))
    assert "How did you measure" not in streamed
    # Asked once: resuming shows the same question, and the model is not asked again.
    again = list(flow.ask_next(db, session, model=FakeTextModel(reply="Something else entirely?"), embedder=None))
    assert again[-1].turn.text == ready.turn.text and not again[-1].tailored
    with pytest.raises(InputError, match="already answered"):
        flow.submit(db, session, ready.turn, "first")
        flow.submit(db, session, ready.turn, "second")

