"""Crash safety: an interview process killed with SIGKILL at random points loses no submitted answer."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from test_decode import WORKED_EXAMPLE
from test_rubric import ANSWERS

from coach import interview as iv
from coach.decode import decode
from coach.storage import open_db

ROOT = Path(__file__).resolve().parents[1]
DRIVER = """
import sys
from coach import interview as iv
from coach.storage import open_db
db = open_db()
interview_id, answer = int(sys.argv[1]), sys.argv[2]
iv.rescore_unscored(db, interview_id, None)  # what the last run stored but never scored
while (turn := iv.next_turn(db, interview_id)) is not None:
    answer_id = iv.submit_answer(db, interview_id, turn.idx, answer + f" (answer {turn.idx})")
    print(f"stored {turn.idx}", flush=True)
    for _ in iv.score_and_coach(db, answer_id=answer_id, turn=turn, answer=answer, embedder=None, model=None):
        pass
    print(f"scored {turn.idx}", flush=True)
print("done", flush=True)
"""


def run_driver(interview_id: int, kill_after: float | None) -> list[str]:
    process = subprocess.Popen([sys.executable, "-c", DRIVER, str(interview_id), ANSWERS["specific"]],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT, env=dict(os.environ))
    if kill_after is not None:
        time.sleep(kill_after)
        process.send_signal(signal.SIGKILL)
    out, _ = process.communicate(timeout=120)
    return out.splitlines()


def test_sigkill_at_random_points_loses_no_answer_and_no_score(isolated_home):
    result = decode(WORKED_EXAMPLE)
    db = open_db()
    plan = iv.plan_session(result, n=30)
    # How long one whole run takes here (the faster of two), so that the kills land inside one.
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        run_driver(iv.start_interview(db, jd_id=None, decode=result, plan=plan), kill_after=None)
        timings.append(time.perf_counter() - started)
    whole = min(timings)
    interview_id = iv.start_interview(db, jd_id=None, decode=result, plan=plan)
    rng = random.Random(1234)
    stored_ever: set[int] = set()
    kills = 0
    for _ in range(12):
        lines = run_driver(interview_id, kill_after=rng.uniform(0.15, 0.75) * whole)
        if "done" in lines:
            break
        kills += 1
        stored_ever |= {int(line.split()[1]) for line in lines if line.startswith("stored")}
        check = open_db()
        assert check.execute("pragma integrity_check").fetchone()[0] == "ok"
        present = {row["idx"] for row in check.query("select idx from answers where interview_id = ?",
                                                      [interview_id])}
        assert stored_ever <= present, f"lost answers {stored_ever - present} after a kill"
    assert kills >= 3, "the kills must land mid-interview to mean anything"
    assert "done" in run_driver(interview_id, kill_after=None)
    final = open_db()
    answers = list(final.query("select a.idx, s.overall from answers a left join scores s on s.answer_id = a.id "
                               "where a.interview_id = ?", [interview_id]))
    assert sorted(a["idx"] for a in answers) == list(range(len(plan)))  # each question answered exactly once
    assert all(a["overall"] is not None for a in answers)  # and every answer scored
    assert final.execute("pragma integrity_check").fetchone()[0] == "ok"
