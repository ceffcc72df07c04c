"""Mock interview speed: submit-to-score (deterministic) and time to the first feedback token."""

from __future__ import annotations

import time

import pytest

from bench.conftest import percentiles, record
from coach.decode import decode
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
SCORE_P95_TARGET = 0.200


def test_submit_to_score(benchmark, embedder, tmp_path):
    """Store the answer (a committed row, as the app does) and score it against the rubric."""
    from coach import interview as iv
    from coach.storage import open_db

    db = open_db(tmp_path / "bench.db")
    jd = ("Design and own the evaluation infrastructure for our LLM applications. Debug production regressions.")
    result = decode(jd, embedder=embedder)
    interview_id = iv.start_interview(db, jd_id=None, decode=result, plan=iv.plan_session(result, n=1))
    score_answer(ANSWER, question=QUESTION, competency="evaluation", embedder=embedder)  # warm the anchors

    def submit_and_score() -> None:
        iv.submit_answer(db, interview_id, 0, ANSWER)
        score_answer(ANSWER, question=QUESTION, competency="evaluation", embedder=embedder)

    benchmark.pedantic(submit_and_score, rounds=20, iterations=1)
    stats = record(benchmark, answer_chars=len(ANSWER))
    assert stats["p95"] < SCORE_P95_TARGET, f"p95 {stats['p95'] * 1000:.0f} ms"


@pytest.fixture(scope="module")
def coach_model(store):
    from models.loader import load_text_model

    manifest = store.registry.default("llm")
    store.materialize(manifest)
    model = load_text_model(store, manifest)
    yield model
    model.close()


def test_time_to_first_feedback_token(benchmark, coach_model, embedder):
    """From the rubric's result to the first word of feedback the user sees, with the default coach model."""
    rubric = score_answer(ANSWER, question=QUESTION, competency="evaluation", embedder=embedder)
    firsts: list[float] = []

    def first_token() -> None:
        started = time.perf_counter()
        events = stream_feedback(coach_model, question=QUESTION, answer=ANSWER, rubric=rubric)
        for event in events:
            if isinstance(event, FeedbackText) and event.text.strip():
                firsts.append(time.perf_counter() - started)
                break
        events.close()

    benchmark.pedantic(first_token, rounds=5, iterations=1, warmup_rounds=1)
    stats = percentiles(firsts[-5:])
    record(benchmark, model=coach_model.model_id, first_token_p95_s=round(stats["p95"], 3))
    # A sentence of "what landed" is checked before it is shown: a few seconds on 2 cores is the budget.
    assert stats["p95"] < 6.0
