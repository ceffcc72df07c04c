"""The one database: everything the user makes, in the data directory.

sqlite-utils on a WAL-mode SQLite file, readable by its owner only. Schema changes are
append-only named migrations, recorded in ``_migrations`` as they are applied: never
edit or reorder one that has shipped; add a new one at the end.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils

from models.datadir import data_dir
from models.errors import StorageError

DB_FILENAME = "coach.db"

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    """Register a migration; its function name is its permanent name."""
    if any(name == fn.__name__ for name, _ in MIGRATIONS):
        raise ValueError(f"duplicate migration name {fn.__name__}")
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_settings(db: sqlite_utils.Database) -> None:
    # Small user choices that must survive a restart: the active model, say.
    db["settings"].create({"key": str, "value": str, "updated_at": float}, pk="key")


@migration
def m002_jds_and_decodes(db: sqlite_utils.Database) -> None:
    db["jds"].create({"id": int, "title": str, "text": str, "sha256": str, "created_at": float}, pk="id")
    db["jds"].create_index(["sha256"], unique=True)
    db["decodes"].create(
        {"id": int, "jd_id": int, "taxonomy_version": str, "json": str, "created_at": float},
        pk="id", foreign_keys=[("jd_id", "jds", "id")],
    )


@migration
def m003_competency_matrix(db: sqlite_utils.Database) -> None:
    db["matrix_rows"].create(
        {"jd_id": int, "cluster_id": str, "evidence": str, "confidence": int, "updated_at": float},
        pk=("jd_id", "cluster_id"), foreign_keys=[("jd_id", "jds", "id")],
    )


@migration
def m004_stories(db: sqlite_utils.Database) -> None:
    db["stories"].create(
        {"id": int, "title": str, "situation": str, "task": str, "action": str, "result": str,
         "created_at": float, "updated_at": float},
        pk="id",
    )
    # source: "auto" (embedding + keywords) or "manual"; removed=1 remembers a link the user took away.
    db["story_links"].create(
        {"story_id": int, "cluster_id": str, "source": str, "score": float, "removed": int, "updated_at": float},
        pk=("story_id", "cluster_id"), foreign_keys=[("story_id", "stories", "id")],
    )


@migration
def m005_interviews(db: sqlite_utils.Database) -> None:
    db["interviews"].create(
        {"id": int, "jd_id": int, "level": str, "status": str, "n_questions": int, "created_at": float,
         "updated_at": float},
        pk="id", foreign_keys=[("jd_id", "jds", "id")],
    )
    db["interview_questions"].create(
        {"interview_id": int, "idx": int, "cluster_id": str, "question_id": str, "text": str, "bank_text": str,
         "tailored": int, "asked_at": float},
        pk=("interview_id", "idx"), foreign_keys=[("interview_id", "interviews", "id")],
    )
    # Written the moment an answer is submitted, before scoring: a crash loses no answer.
    db["answers"].create(
        {"id": int, "interview_id": int, "idx": int, "text": str, "submitted_at": float},
        pk="id", foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["scores"].create(
        {"answer_id": int, "cluster_id": str, "overall": int, "points": float, "rubric_json": str,
         "feedback_json": str, "scored_at": float},
        pk="answer_id", foreign_keys=[("answer_id", "answers", "id")],
    )
    # What the user did, for the end-of-day checklist: decode, rate, retarget, answer.
    db["events"].create({"id": int, "kind": str, "detail": str, "at": float}, pk="id")


@migration
def m006_bench_runs(db: sqlite_utils.Database) -> None:
    # One row per benchmark result; `fingerprint` says on what it was measured, `figures` holds the numbers.
    db["bench_runs"].create(
        {"id": int, "kind": str, "model_id": str, "fingerprint": str, "figures": str, "created_at": float}, pk="id"
    )


@migration
def m007_one_answer_per_question(db: sqlite_utils.Database) -> None:
    # Two answers for one question (a double submit) are resolved to the first one stored; the others, and
    # their scores, move to an audit table rather than vanish.
    db["answers_duplicates"].create(
        {"id": int, "interview_id": int, "idx": int, "text": str, "submitted_at": float, "score_json": str,
         "moved_at": float}, pk="id")
    duplicates = list(db.query(
        "select a.* from answers a where exists (select 1 from answers b where b.interview_id = a.interview_id "
        "and b.idx = a.idx and b.id < a.id)"))
    for row in duplicates:
        score = next(iter(db.query("select * from scores where answer_id = ?", [row["id"]])), None)
        db["answers_duplicates"].insert({**row, "score_json": json.dumps(score) if score else None,
                                         "moved_at": time.time()})
        db.execute("delete from scores where answer_id = ?", [row["id"]])
        db.execute("delete from answers where id = ?", [row["id"]])
    db["answers"].create_index(["interview_id", "idx"], unique=True)


@migration
def m008_spoken_answers(db: sqlite_utils.Database) -> None:
    # A spoken answer's delivery (pace, fillers, pauses, time per rubric part) and its timed words, beside the
    # answer; audio_path is set only when the user keeps recordings (a setting), else the audio was discarded.
    db["deliveries"].create(
        {"answer_id": int, "model_id": str, "duration": float, "words_json": str, "delivery_json": str,
         "audio_path": str, "created_at": float},
        pk="answer_id", foreign_keys=[("answer_id", "answers", "id")],
    )


def db_path() -> Path:
    return data_dir() / DB_FILENAME


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet applied, in order; return their names."""
    db["_migrations"].create({"name": str, "applied_at": float}, pk="name", if_not_exists=True)
    done = {row["name"] for row in db["_migrations"].rows}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with db.conn:  # one transaction per migration: all of it or none
            fn(db)
            db["_migrations"].insert({"name": name, "applied_at": time.time()})
        applied.append(name)
    return applied


BUSY_TIMEOUT_S = 10  # a writer waits this long for another thread's transaction before it reports an error


def _connect(path: Path) -> sqlite_utils.Database:
    # check_same_thread=False only so that close() may close a finished worker's connection; each
    # connection is otherwise used by the one thread that opened it.
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_S)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return sqlite_utils.Database(conn)


class CoachDB:
    """The database as every thread sees it: one SQLite connection per thread, WAL, busy timeouts.

    The app's UI thread and its workers each get their own connection, so that one thread's
    ``with db.conn:`` transaction is never another's; SQLite (WAL) serialises the writers and lets
    readers read while one writes. Everything else (``db.query``, ``db["table"]``) is
    sqlite-utils' own, on the calling thread's connection.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: dict[int, tuple[threading.Thread, sqlite_utils.Database]] = {}

    @property
    def current(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = _connect(self.path)
            self._local.db = db
            with self._lock:
                # A finished worker's connection is closed here rather than left to the garbage collector.
                for ident, (thread, old) in list(self._connections.items()):
                    if not thread.is_alive():
                        old.conn.close()
                        del self._connections[ident]
                self._connections[threading.get_ident()] = (threading.current_thread(), db)
        return db

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current, name)

    def __getitem__(self, table: str) -> Any:
        return self.current[table]

    def close(self) -> None:
        with self._lock:
            for _, db in self._connections.values():
                db.conn.close()
            self._connections.clear()
        self._local = threading.local()


def open_db(path: Path | None = None) -> CoachDB:
    """Open (creating and migrating as needed) the database, owner-only, in WAL mode."""
    path = path or db_path()
    old_umask = os.umask(0o077)  # the -wal and -shm files are created owner-only too
    try:
        db = CoachDB(path)
        migrate(db.current)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"cannot open the database {path}: {exc}", hint="move the file aside to start afresh") from None
    except OSError as exc:
        raise StorageError(f"cannot create the database {path}: {exc.strerror}") from None
    finally:
        os.umask(old_umask)
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            candidate.chmod(0o600)
    return db


def get_setting(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    rows = list(db.query("select value from settings where key = ?", [key]))
    return rows[0]["value"] if rows else default


def set_setting(db: sqlite_utils.Database, key: str, value: str) -> None:
    db["settings"].upsert({"key": key, "value": value, "updated_at": time.time()}, pk="key")
