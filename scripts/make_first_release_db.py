"""Write tests/data/first_release_db.sql: a database made by the first release's own code, with data in it.

The first release (commit 7334029, as in scripts/first_release.py) is unpacked from git history into a
temporary directory and run there, in a child process, on a real JD (tests/data/jds/02): decoded and saved,
two competencies rated (one with evidence that holds markup), a story saved, an interview started with
one answer submitted and scored (no model: the template feedback), a benchmark run recorded, a setting
chosen. tests/test_storage.py opens a copy with today's code and checks that nothing was lost.

    python scripts/make_first_release_db.py
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_RELEASE = "7334029"
OUT = ROOT / "tests" / "data" / "first_release_db.sql"

SCRIPT = r'''
import json, sys
from coach.storage import open_db
from coach.decode import decode
from coach.jds import save_jd, save_decode
from coach.matrix import set_row
from coach.stories import Story, save_story, add_link
from coach.interview import plan_session, start_interview, turns, submit_answer, score_and_coach, set_asked
from coach.storage import log_event

text = open(sys.argv[1], encoding="utf-8").read()
db = open_db()
db["settings"].insert({"key": "active_model", "value": "qwen2.5-coder-0.5b-instruct-q4_k_m", "updated_at": 1.0})
result = decode(text)
jd = save_jd(db, text, title="LLM engineer, support automation [real JD]")
save_decode(db, jd.id, result)
log_event(db, "decode", jd.title)
set_row(db, jd.id, "evaluation", evidence="Built the [bold]eval[/] harness: 40% fewer regressions", confidence=2)
set_row(db, jd.id, "debugging", confidence=4)
story = save_story(db, Story("Support-bot RAG", situation="Support bot hallucinated refunds.",
                             task="Make answers faithful.", action="I built hybrid retrieval and RAGAS evals.",
                             result="Faithfulness rose from 71% to 87%."))
add_link(db, story.id, "evaluation")
interview_id = start_interview(db, jd_id=jd.id, decode=result, plan=plan_session(result, n=3))
first = turns(db, interview_id)[0]
set_asked(db, interview_id, first.idx, first.text, False)
answer = ("I owned the offline evaluation suite for our support assistant: 1,200 labelled conversations, "
          "faithfulness and answer relevance per release, and a launch gate at 0.85. When a retriever change "
          "dropped faithfulness from 0.91 to 0.78 I traced it to chunking, rolled back in a day, and added a "
          "regression test; the next quarter had zero launch rollbacks.")
answer_id = submit_answer(db, interview_id, first.idx, answer)
for _ in score_and_coach(db, answer_id=answer_id, turn=first, answer=answer, embedder=None, model=None):
    pass
db["bench_runs"].insert({"kind": "app-stream", "model_id": "qwen2.5-coder-1.5b-instruct-q4_k_m",
                         "fingerprint": json.dumps({"cpu": "test"}), "figures": json.dumps({"p95_ms": 71.5}),
                         "created_at": 2.0})
'''


def main() -> None:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", FIRST_RELEASE], check=True, capture_output=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        tree, home = Path(tmp) / "tree", Path(tmp) / "home"
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        env = {**os.environ, "PYTHONPATH": str(tree), "COACH_HOME": str(home)}
        jd = ROOT / "tests" / "data" / "jds" / "02-llm-support-automation.txt"
        subprocess.run([sys.executable, "-c", SCRIPT, str(jd)], cwd=tree, env=env, check=True)
        conn = sqlite3.connect(home / "coach.db")
        OUT.write_text("\n".join(conn.iterdump()) + "\n", encoding="utf-8")
        conn.close()
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
