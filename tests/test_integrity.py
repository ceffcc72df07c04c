"""Data integrity (issue 21): one connection per thread, one answer per question, upgrades from old databases."""

from __future__ import annotations

import json
import sqlite3
import threading
import time

import sqlite_utils

from coach import interview as iv
from coach import records
from coach.progress import history, next_drills
from coach.storage import MIGRATIONS, open_db


def test_each_thread_writes_through_its_own_connection_while_another_reads(isolated_home):
    db = open_db()
    jd_id = records.insert_jd(db, title="t", text="x", sha256="s", created_at=time.time())
    errors: list[BaseException] = []
    seen_connections = set()

    def writer(n: int) -> None:
        try:
            seen_connections.add(id(db.conn))
            for i in range(40):
                records.upsert_matrix_row(db, jd_id=jd_id, cluster_id=f"c{n}-{i}", evidence="e", confidence=3)
                records.insert_event(db, "answer", f"{n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    reads = 0
    while any(t.is_alive() for t in threads):
        reads += len(records.matrix_rows(db, jd_id)) >= 0  # the UI thread reads meanwhile
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(records.matrix_rows(db, jd_id)) == 160 and reads > 0
    assert len(seen_connections) == 4 and id(db.conn) not in seen_connections
    db.close()


def test_a_second_answer_to_the_same_question_is_refused(isolated_home):
    db = open_db()
    interview_id = records.insert_interview(db, jd_id=None, level="L5", questions=[
        {"idx": 0, "cluster_id": "evaluation", "question_id": "evaluation-b1", "text": "q", "bank_text": "q",
         "tailored": 0, "asked_at": None}])
    first = iv.submit_answer(db, interview_id, 0, "first")
    second = iv.submit_answer(db, interview_id, 0, "second")
    assert first is not None and second is None
    assert [t.answer for t in iv.turns(db, interview_id)] == ["first"]


def _first_release_database(path) -> None:
    """A database as the first release made it (migrations m001-m006), with a double-submitted answer."""
    conn = sqlite3.connect(str(path))
    db = sqlite_utils.Database(conn)
    db["_migrations"].create({"name": str, "applied_at": float}, pk="name")
    for name, fn in MIGRATIONS:
        if name > "m006":
            break
        fn(db)
        db["_migrations"].insert({"name": name, "applied_at": 0.0})
    db["interviews"].insert({"id": 1, "jd_id": None, "level": "L5", "status": "active", "n_questions": 1,
                             "created_at": 0.0, "updated_at": 0.0})
    db["interview_questions"].insert({"interview_id": 1, "idx": 0, "cluster_id": "evaluation",
                                      "question_id": "evaluation-b1", "text": "q", "bank_text": "q", "tailored": 0})
    db["answers"].insert_all([{"id": 1, "interview_id": 1, "idx": 0, "text": "kept", "submitted_at": 1.0},
                              {"id": 2, "interview_id": 1, "idx": 0, "text": "double", "submitted_at": 2.0}])
    db["scores"].insert_all([
        {"answer_id": 1, "cluster_id": "evaluation", "overall": 3, "points": 50.0, "rubric_json": "{}",
         "feedback_json": "{}", "scored_at": 1.0},
        {"answer_id": 2, "cluster_id": "retired_cluster", "overall": 2, "points": 30.0, "rubric_json": "{}",
         "feedback_json": "{}", "scored_at": 2.0}])
    conn.commit()
    conn.close()


def test_an_old_database_upgrades_keeping_the_first_answer_and_auditing_the_double(isolated_home):
    from coach.storage import db_path

    _first_release_database(db_path())
    db = open_db()
    assert [t.answer for t in iv.turns(db, 1)] == ["kept"]
    audit = list(db["answers_duplicates"].rows)
    assert [a["text"] for a in audit] == ["double"] and json.loads(audit[0]["score_json"])["overall"] == 2
    try:
        db["answers"].insert({"interview_id": 1, "idx": 0, "text": "again", "submitted_at": 3.0})
        raise AssertionError("the unique index is missing")
    except sqlite3.IntegrityError:
        pass


def test_scores_of_a_cluster_the_taxonomy_no_longer_has_do_not_break_progress(isolated_home):
    db = open_db()
    interview_id = records.insert_interview(db, jd_id=None, level="L5", questions=[
        {"idx": i, "cluster_id": c, "question_id": "x", "text": "q", "bank_text": "q", "tailored": 0, "asked_at": None}
        for i, c in enumerate(["retired_cluster", "evaluation"])])
    for idx, (cluster, overall) in enumerate([("retired_cluster", 2), ("evaluation", 4)]):
        answer_id = iv.submit_answer(db, interview_id, idx, "an answer")
        records.upsert_score(db, answer_id=answer_id, cluster_id=cluster, overall=overall, expected=3.0, rubric={},
                             feedback=None)
    assert [h.cluster_id for h in history(db)] == ["evaluation"]
    assert all(d.cluster_id != "retired_cluster" for d in next_drills(db))
