import stat

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
