"""Offline proof: the whole flow with every non-loopback connection refused at the socket level
(pytest-socket, for the whole run) and no hub environment variables set."""

import os
import socket

import pytest
from test_decode import WORKED_EXAMPLE
from test_rubric import ANSWERS

from coach import interview as iv
from coach.decode import decode
from coach.feedback import FeedbackDone
from coach.rubric import RubricResult
from coach.storage import open_db
from models.datadir import models_dir
from models.loader import load_embedder, load_text_model
from models.measure import measure_stream
from models.store import ModelStore

pytestmark = pytest.mark.real_model


def test_the_whole_flow_runs_with_the_network_refused(monkeypatch, isolated_home):
    for name in list(os.environ):
        if name.startswith(("HF_", "HUGGINGFACE")):
            monkeypatch.delenv(name)
    with pytest.raises(Exception, match="A test tried to use socket"):  # the guard is on for this test too
        socket.create_connection(("198.51.100.7", 443), timeout=1)

    store = ModelStore(models_dir=models_dir())
    default = store.registry.default("llm")
    store.materialize(default)  # the default model, from its installed packages
    embedder = load_embedder(store)  # materialises the embedder from its package too
    result = decode(WORKED_EXAMPLE, embedder=embedder)
    assert result.clusters[0].id == "evaluation"

    db = open_db()
    interview_id = iv.start_interview(db, jd_id=None, decode=result,
                                      plan=iv.plan_session(result, n=1, embedder=embedder))
    turn = iv.next_turn(db, interview_id)
    model = load_text_model(store, default, n_ctx=2048)
    try:
        answer_id = iv.submit_answer(db, interview_id, turn.idx, ANSWERS["specific"])
        events = list(iv.score_and_coach(db, answer_id=answer_id, turn=turn, answer=ANSWERS["specific"],
                                         embedder=embedder, model=model))
        assert isinstance(events[0], RubricResult)
        assert len([e for e in events if isinstance(e, FeedbackDone)]) == 4
        smoke = measure_stream(model, max_tokens=16, ignore_eos=True)  # a benchmark smoke run
        assert smoke.generated_tokens == 16 and smoke.p95_ms > 0
    finally:
        model.close()
        embedder.close()
