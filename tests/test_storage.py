import sqlite3
import stat
from pathlib import Path

import pytest

from coach.modelchoice import active_model, use_model
from coach.storage import MIGRATIONS, get_setting, migrate, open_db, set_setting
from models.errors import ManifestError, StorageError
from models.registry import Registry


def test_blank_database_gets_every_migration_in_order(isolated_home):
    db = open_db()
    applied = [row["name"] for row in db.query("select name from _migrations order by rowid")]
    assert applied == [name for name, _ in MIGRATIONS]
    assert "settings" in db.table_names()
    assert migrate(db) == []  # a second run applies nothing


def test_migration_names_are_unique_and_numbered():
    names = [name for name, _ in MIGRATIONS]
    assert len(names) == len(set(names))
    assert names == sorted(names) and all(n[0] == "m" and n[1:4].isdigit() for n in names)


def test_wal_and_owner_only_permissions(isolated_home):
    db = open_db()
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    set_setting(db, "k", "v")
    assert stat.S_IMODE((isolated_home / "coach.db").stat().st_mode) == 0o600
    assert stat.S_IMODE(isolated_home.stat().st_mode) == 0o700


def test_settings_survive_reopening(isolated_home):
    set_setting(open_db(), "active_model", "gemma-3-270m-q4_k_m")
    assert get_setting(open_db(), "active_model") == "gemma-3-270m-q4_k_m"


def test_corrupt_database_is_a_clear_error(isolated_home):
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "coach.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="cannot open the database"):
        open_db()


def test_active_model_defaults_and_can_be_chosen(isolated_home):
    db, registry = open_db(), Registry.load()
    assert active_model(db, registry).id == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    use_model(db, registry, "qwen2.5-coder-0.5b-instruct-q4_k_m")
    assert active_model(open_db(), registry).id == "qwen2.5-coder-0.5b-instruct-q4_k_m"
    with pytest.raises(ManifestError, match="only a text model"):
        use_model(db, registry, "all-minilm-l6-v2-int8")


# -- an upgrade from the first release's database, with data in it (issue 21, item 6) ----------
FIRST_RELEASE_DB = Path(__file__).parent / "data" / "first_release_db.sql"


def first_release_db(home: Path) -> None:
    """The database the first release's own code made (scripts/make_first_release_db.py), restored."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    conn = sqlite3.connect(home / "coach.db")
    conn.executescript(FIRST_RELEASE_DB.read_text(encoding="utf-8"))
    conn.close()


def test_a_first_release_database_upgrades_and_keeps_everything(isolated_home):
    from coach import interview as iv
    from coach.jds import list_jds, saved_decode
    from coach.matrix import build_matrix, matrix_markdown
    from coach.progress import checklist, history, next_drills
    from coach.services import benchruns
    from coach.services import interviewing as flow
    from coach.stories import links, list_stories

    first_release_db(isolated_home)
    db = open_db()
    assert [row["name"] for row in db.query("select name from _migrations order by rowid")] == \
        [name for name, _ in MIGRATIONS]
    assert get_setting(db, "active_model") == "qwen2.5-coder-0.5b-instruct-q4_k_m"
    [jd] = list_jds(db)
    assert jd.title == "LLM engineer, support automation [real JD]"
    decode = saved_decode(db, jd.id)
    assert decode is not None and len(decode.clusters) >= 5  # the old decode is read, not redone
    rows = {row.cluster_id: row for row in build_matrix(db, jd.id, decode)}
    assert rows["evaluation"].confidence == 2 and "[bold]eval[/]" in rows["evaluation"].evidence
    assert "[bold]eval[/]" in matrix_markdown(list(rows.values()), jd.title)
    [story] = list_stories(db)
    assert story.result == "Faithfulness rose from 71% to 87%." and [link.cluster_id for link in links(db, story.id)]
    session, rescored = flow.resume(db, iv.active_interviews(db)[0]["id"], embedder=None)
    assert rescored == 0 and [t.answer is not None for t in iv.turns(db, session.interview_id)] == [True, False, False]
    started = next(flow.ask_next(db, session, model=None, embedder=None))
    assert started.number == 2  # the interview goes on where it stopped
    assert [h.average for h in history(db)] and checklist(db) and next_drills(db) is not None
    assert [run.model_id for run in benchruns.history(db)] == ["qwen2.5-coder-1.5b-instruct-q4_k_m"]
