"""Every read and write of the user's records: the one place with SQL above the migrations.

Typed functions per aggregate (job descriptions and decodes, the matrix, stories, interviews,
activity, benchmark runs). The domain modules and the services call these; nothing above
this module writes SQL or touches a table (a test checks it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import sqlite_utils

Row = dict[str, Any]


def _one(db: Any, sql: str, params: Iterable[Any] = ()) -> Row | None:
    return next(iter(db.query(sql, list(params))), None)


# -- job descriptions and their decodes ------------------------------------------------------
def jd_by_sha(db: Any, sha256: str) -> Row | None:
    return _one(db, "select * from jds where sha256 = ?", [sha256])


def insert_jd(db: Any, *, title: str, text: str, sha256: str, created_at: float) -> int:
    return int(db["jds"].insert({"title": title, "text": text, "sha256": sha256, "created_at": created_at}).last_pk)


def set_jd_title(db: Any, jd_id: int, title: str) -> None:
    db["jds"].update(jd_id, {"title": title})


def jd_row(db: Any, jd_id: int) -> Row | None:
    try:
        return dict(db["jds"].get(jd_id))
    except sqlite_utils.db.NotFoundError:
        return None


def jd_rows(db: Any) -> list[Row]:
    return list(db.query("select * from jds order by created_at desc, id desc"))


def insert_decode(db: Any, *, jd_id: int, taxonomy_version: str, decode_json: str) -> int:
    row = {"jd_id": jd_id, "taxonomy_version": taxonomy_version, "json": decode_json, "created_at": time.time()}
    return int(db["decodes"].insert(row).last_pk)


def latest_decode(db: Any, jd_id: int) -> Row | None:
    return _one(db, "select * from decodes where jd_id = ? order by created_at desc, id desc limit 1", [jd_id])


def latest_decode_of_any(db: Any) -> Row | None:
    return _one(db, "select * from decodes order by created_at desc, id desc limit 1")


# -- the competency matrix -------------------------------------------------------------------
def matrix_rows(db: Any, jd_id: int) -> dict[str, Row]:
    return {r["cluster_id"]: r for r in db.query("select * from matrix_rows where jd_id = ?", [jd_id])}


def upsert_matrix_row(db: Any, *, jd_id: int, cluster_id: str, evidence: str, confidence: int | None) -> None:
    db["matrix_rows"].upsert({"jd_id": jd_id, "cluster_id": cluster_id, "evidence": evidence,
                              "confidence": confidence, "updated_at": time.time()}, pk=("jd_id", "cluster_id"))


def story_titles_for(db: Any, cluster_id: str) -> list[str]:
    return [r["title"] for r in db.query(
        "select s.title from story_links l join stories s on s.id = l.story_id "
        "where l.cluster_id = ? and l.removed = 0 order by l.score desc", [cluster_id])]


# -- stories ---------------------------------------------------------------------------------
def insert_story(db: Any, row: Row) -> int:
    return int(db["stories"].insert(row).last_pk)


def update_story(db: Any, story_id: int, row: Row) -> None:
    db["stories"].update(story_id, row)


def story_row(db: Any, story_id: int) -> Row | None:
    try:
        return dict(db["stories"].get(story_id))
    except sqlite_utils.db.NotFoundError:
        return None


def story_rows(db: Any) -> list[Row]:
    return list(db.query("select * from stories order by id"))


def replace_auto_links(db: Any, story_id: int, links: list[tuple[str, float]]) -> None:
    """New automatic links for a story; the user's own additions and removals stay as they are."""
    with db.conn:
        kept = {r["cluster_id"] for r in db.query(
            "select cluster_id from story_links where story_id = ? and (source = 'manual' or removed = 1)", [story_id])}
        db.execute("delete from story_links where story_id = ? and source = 'auto' and removed = 0", [story_id])
        for cluster_id, score in links:
            if cluster_id not in kept:
                db["story_links"].insert({"story_id": story_id, "cluster_id": cluster_id, "source": "auto",
                                          "score": score, "removed": 0, "updated_at": time.time()})


def set_manual_link(db: Any, story_id: int, cluster_id: str, *, removed: bool) -> None:
    db["story_links"].upsert({"story_id": story_id, "cluster_id": cluster_id, "source": "manual",
                              "score": 0.0 if removed else 1.0, "removed": int(removed), "updated_at": time.time()},
                             pk=("story_id", "cluster_id"))


def active_links(db: Any, story_id: int) -> list[Row]:
    return list(db.query("select * from story_links where story_id = ? and removed = 0 order by score desc",
                         [story_id]))


# -- interviews ------------------------------------------------------------------------------
def insert_interview(db: Any, *, jd_id: int | None, level: str | None, questions: list[Row]) -> int:
    now = time.time()
    with db.conn:
        interview_id = int(db["interviews"].insert({"jd_id": jd_id, "level": level, "status": "active",
                                                    "n_questions": len(questions), "created_at": now,
                                                    "updated_at": now}).last_pk)
        db["interview_questions"].insert_all([{"interview_id": interview_id, **q} for q in questions])
    return interview_id


def interview_row(db: Any, interview_id: int) -> Row | None:
    return _one(db, "select * from interviews where id = ?", [interview_id])


def interview_summaries(db: Any) -> list[Row]:
    """Every interview, newest first, with its JD's title and how many questions have an answer."""
    return list(db.query(
        "select i.*, j.title as jd_title, (select count(*) from answers a where a.interview_id = i.id) as answered "
        "from interviews i left join jds j on j.id = i.jd_id order by i.updated_at desc, i.id desc"))


def active_interview_rows(db: Any) -> list[Row]:
    return list(db.query("select * from interviews where status = 'active' order by updated_at desc"))


def set_question_asked(db: Any, interview_id: int, idx: int, *, text: str, tailored: bool) -> None:
    with db.conn:
        db["interview_questions"].update((interview_id, idx), {"text": text, "tailored": int(tailored),
                                                                "asked_at": time.time()})


def turn_rows(db: Any, interview_id: int) -> list[Row]:
    return list(db.query(
        "select q.idx, q.cluster_id, q.question_id, q.text, a.id as answer_id, a.text as answer, s.rubric_json, "
        "s.feedback_json from interview_questions q left join answers a on a.interview_id = q.interview_id "
        "and a.idx = q.idx left join scores s on s.answer_id = a.id where q.interview_id = ? order by q.idx",
        [interview_id]))


def insert_answer(db: Any, *, interview_id: int, idx: int, text: str) -> int | None:
    """Store an answer; None when this question already has one (a double submit changes nothing)."""
    import sqlite3

    try:
        with db.conn:
            answer_id = int(db["answers"].insert({"interview_id": interview_id, "idx": idx, "text": text,
                                                  "submitted_at": time.time()}).last_pk)
            db["interviews"].update(interview_id, {"updated_at": time.time()})
    except sqlite3.IntegrityError:
        return None
    return answer_id


def answer_id_for(db: Any, interview_id: int, idx: int) -> int | None:
    row = _one(db, "select id from answers where interview_id = ? and idx = ?", [interview_id, idx])
    return None if row is None else int(row["id"])


def upsert_score(db: Any, *, answer_id: int, cluster_id: str, overall: int, expected: float, rubric: Row,
                 feedback: Row | None) -> None:
    # The column is still called `points` (the first release's 0-100 total); it now holds the fitted expected grade.
    with db.conn:
        db["scores"].upsert({"answer_id": answer_id, "cluster_id": cluster_id, "overall": overall, "points": expected,
                             "rubric_json": json.dumps(rubric), "feedback_json": json.dumps(feedback or {}),
                             "scored_at": time.time()}, pk="answer_id")


def mark_interview_done(db: Any, interview_id: int) -> None:
    with db.conn:
        db["interviews"].update(interview_id, {"status": "done", "updated_at": time.time()})


def unscored_answer_rows(db: Any, interview_id: int) -> list[Row]:
    return list(db.query("select a.* from answers a left join scores s on s.answer_id = a.id "
                         "where a.interview_id = ? and s.answer_id is null", [interview_id]))


# -- spoken answers: delivery and timed words -------------------------------------------------
def upsert_delivery(db: Any, *, answer_id: int, model_id: str, duration: float, words: list[Row], delivery: Row,
                    audio_path: str | None) -> None:
    with db.conn:
        db["deliveries"].upsert({"answer_id": answer_id, "model_id": model_id, "duration": duration,
                                 "words_json": json.dumps(words), "delivery_json": json.dumps(delivery),
                                 "audio_path": audio_path, "created_at": time.time()}, pk="answer_id")


def delivery_row(db: Any, answer_id: int) -> Row | None:
    return _one(db, "select * from deliveries where answer_id = ?", [answer_id])


def delivery_history(db: Any) -> list[Row]:
    """Every stored delivery with its answer's time, oldest first: delivery over sessions."""
    return list(db.query("select d.answer_id, d.delivery_json, a.interview_id, a.submitted_at from deliveries d "
                         "join answers a on a.id = d.answer_id order by a.submitted_at, d.answer_id"))


# -- activity: events, scores over time, the checklist's counts ------------------------------
def insert_event(db: Any, kind: str, detail: str = "") -> None:
    db["events"].insert({"kind": kind, "detail": detail, "at": time.time()})


def score_history(db: Any) -> list[Row]:
    return list(db.query("select cluster_id, overall, scored_at from scores order by scored_at"))


def scores_for_clusters(db: Any, cluster_ids: list[str]) -> list[Row]:
    marks = ",".join("?" for _ in cluster_ids) or "''"
    return list(db.query(f"select cluster_id, overall, scored_at, rubric_json from scores "
                         f"where cluster_id in ({marks}) order by scored_at", cluster_ids))


def activity_since(db: Any, start: float) -> dict[str, int]:
    """What the user did since `start`: the counts seed 000's end-of-day checklist is ticked from."""
    def count(sql: str) -> int:
        return int(_one(db, sql, [start])["n"])  # type: ignore[index]

    return {
        "decoded": count("select count(*) as n from decodes where created_at >= ? "
                         "and json_array_length(json, '$.clusters') >= 5"),
        "rated": count("select count(*) as n from matrix_rows where updated_at >= ? and confidence is not null"),
        "retargeted": count("select count(*) as n from events where kind = 'retarget' and at >= ?"),
        "answered": count("select count(*) as n from events where kind = 'answer' and at >= ?"),
        "weak": count("select count(*) as n from scores where scored_at >= ? and overall <= 3"),
    }


# -- benchmark runs --------------------------------------------------------------------------
def insert_bench_runs(db: Any, runs: list[Row]) -> None:
    """Each run: kind, model_id, fingerprint (dict), figures (dict)."""
    with db.conn:
        for run in runs:
            db["bench_runs"].insert({"kind": run["kind"], "model_id": run.get("model_id") or "",
                                     "fingerprint": json.dumps(run.get("fingerprint") or {}),
                                     "figures": json.dumps(run["figures"]), "created_at": time.time()})


def bench_rows(db: Any, limit: int | None = None) -> list[Row]:
    sql = "select * from bench_runs order by created_at desc, id desc" + (f" limit {int(limit)}" if limit else "")
    return list(db.query(sql))


# -- export ----------------------------------------------------------------------------------
def table_rows(db: Any, table: str) -> list[Row] | None:
    return list(db[table].rows) if table in db.table_names() else None
