"""Mock interview speed: submit-to-score (deterministic) and time to the first feedback token."""

from __future__ import annotations

import time

import pytest

from bench.conftest import percentiles, record
from coach.feedback import FeedbackText, stream_feedback
from coach.rubric import score_answer

QUESTION = "Tell me about a time you built an evaluation for an LLM feature that changed a launch decision."
ANSWER = (
    "At my last company our support chatbot was about to launch and nobody could say if it was good enough. I was "
    "asked to decide whether it was ready. I built a golden set of 400 real tickets labelled by two agents, wrote an "
    "LLM-as-judge rubric for faithfulness and checked it against human labels (0.82 agreement), and set a launch "
    "threshold of 85% faithfulness. The first run scored 71%, so I pushed back on the launch date and chose to fix "
    "retrieval rather than the prompt, because the failures were missing documents. After adding a reranker we "
    "reached 88% and launched two weeks later; escalations fell by 23% in the first month."
)
SCORE_P95_TARGET = 0.100  # issue 18: submit-to-score p95 <= 100 ms on the 2-core VM, with the embedder


def _score_rounds() -> int:
    from bench.method import samples_needed

    return samples_needed(95) + 8  # a p95 is gated only on a sample that bounds it (bench/method.py)


def test_submit_to_score(benchmark, embedder, tmp_path):
    """What the app does between Enter and the score on screen: the answer stored (a committed row), the
    rubric computed for the turn's bank question, the score and its event saved (coach.services.interviewing)."""
    from bench.method import FAIL, PASS, judge, percentile
    from coach import interview as iv
    from coach import records
    from coach.rubric import RubricResult
    from coach.services import interviewing
    from coach.storage import open_db

    rounds = _score_rounds()
    db = open_db(tmp_path / "bench.db")
    # One question per round: a question takes one answer, so each round answers the next one.
    interview_id = records.insert_interview(db, jd_id=None, level="L5", questions=[
        {"idx": i, "cluster_id": "evaluation", "question_id": "evaluation-b1", "text": QUESTION, "bank_text": QUESTION,
         "tailored": 0, "asked_at": None} for i in range(rounds + 1)])
    session = interviewing.Session(interview_id, decoded=None)  # type: ignore[arg-type]  # submit() reads the id only
    turns = iter(iv.turns(db, interview_id))
    score_answer(ANSWER, question=QUESTION, competency="evaluation", embedder=embedder)  # warm the anchors

    def submit_and_score() -> None:
        turn = next(turns)
        answer_id = interviewing.submit(db, session, turn, ANSWER)
        events = interviewing.score(db, answer_id=answer_id, turn=turn, answer=ANSWER, embedder=embedder, model=None)
        assert isinstance(next(events), RubricResult)
        events.close()  # the rubric's own feedback parts come after the score is on screen

    benchmark.pedantic(submit_and_score, rounds=rounds, iterations=1)
    record(benchmark, answer_chars=len(ANSWER))
    estimate = percentile(benchmark.stats.stats.data, 95)
    verdict = judge(estimate, SCORE_P95_TARGET)
    where = f"submit to score {estimate.describe(' ms', 1000)} against {SCORE_P95_TARGET * 1000:.0f} ms"
    assert verdict != FAIL, where
    if verdict != PASS:
        pytest.skip(f"NOT ENOUGH DATA to gate: {where}")


@pytest.fixture(scope="module")
def coach_model(store):
    from models.loader import load_text_model

    manifest = store.registry.default("llm")
    store.materialize(manifest)
    model = load_text_model(store, manifest)
    yield model
    model.close()


def test_time_to_first_feedback_token(benchmark, coach_model, embedder):
    """From the rubric's result to the first word the model adds (the rubric's own parts show at once)."""
    rubric = score_answer(ANSWER, question=QUESTION, competency="evaluation", embedder=embedder)
    firsts: list[float] = []

    def first_token() -> None:
        started = time.perf_counter()
        events = stream_feedback(coach_model, question=QUESTION, answer=ANSWER, rubric=rubric)
        for event in events:
            if isinstance(event, FeedbackText) and event.slot.source == "model" and event.text.strip():
                firsts.append(time.perf_counter() - started)
                break
        events.close()

    benchmark.pedantic(first_token, rounds=5, iterations=1, warmup_rounds=1)
    stats = percentiles(firsts[-5:])
    record(benchmark, model=coach_model.model_id, first_token_p95_s=round(stats["p95"], 3))
    # A model sentence is shown only once it has passed its guards: a few seconds on 2 cores is the budget.
    assert stats["p95"] < 6.0
