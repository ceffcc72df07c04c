"""Privacy: owner-only files, export of everything, forget after confirmation, no user text in logs."""

import json
import logging
import stat

import pytest
from test_decode import WORKED_EXAMPLE
from test_rubric import ANSWERS, QUESTION

from coach.decode import decode
from coach.jds import save_decode, save_jd
from coach.rubric import score_answer
from coach.storage import open_db
from coach.stories import Story, save_story
from models import kvstate
from tui.cli import main

SECRET = "Zanzibar-7 confidential launch codename"


def test_data_dir_is_0700_and_database_0600(isolated_home):
    open_db()
    assert stat.S_IMODE(isolated_home.stat().st_mode) == 0o700
    for name in ("coach.db", "coach.db-wal", "coach.db-shm"):
        path = isolated_home / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def test_export_writes_everything_the_user_made(capsys, isolated_home):
    db = open_db()
    jd = save_jd(db, WORKED_EXAMPLE + "\n" + SECRET, "Eval infra")
    save_decode(db, jd.id, decode(jd.text))
    save_story(db, Story("Support-bot RAG", action="I built retrieval for " + SECRET))
    assert main(["export"]) == 0
    out = capsys.readouterr().out
    json_path, md_path = [line.removeprefix("wrote ") for line in out.splitlines()]
    data = json.loads(open(json_path).read())
    assert {"jds", "decodes", "stories"} <= set(data["tables"])
    assert data["tables"]["jds"][0]["title"] == "Eval infra"
    markdown = open(md_path).read()
    assert SECRET in markdown and "### Support-bot RAG" in markdown


def test_forget_needs_confirmation_and_then_deletes(capsys, isolated_home, monkeypatch):
    save_jd(open_db(), WORKED_EXAMPLE)
    # A saved JD prefix (models/kvstate.py) holds the JD's token ids: it is the user's text too.
    saved_prefix = isolated_home / kvstate.DIR_NAME / "0123abcd.kv"
    saved_prefix.parent.mkdir(parents=True)
    saved_prefix.write_bytes(b"COACHKV1")
    code = main(["forget"])  # no terminal: refuses rather than deleting unasked
    assert code == 1 and "needs confirmation" in capsys.readouterr().err
    assert (isolated_home / "coach.db").exists()
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert main(["forget"]) == 0 and "nothing deleted" in capsys.readouterr().out
    monkeypatch.setattr("builtins.input", lambda prompt: "forget")
    assert main(["forget"]) == 0
    assert not (isolated_home / "coach.db").exists() and not saved_prefix.parent.exists()
    assert open_db()["jds"].count == 0


def test_no_user_text_reaches_a_log(caplog):
    """Feedback logs every guard failure; the log says which slot and why, never the answer's words."""
    from coach.feedback import collect_feedback
    from models.fake import FakeTextModel

    caplog.set_level(logging.DEBUG)
    decode(WORKED_EXAMPLE + " " + SECRET)
    answer = ANSWERS["specific"] + " " + SECRET
    rubric = score_answer(answer, question=QUESTION, competency="evaluation")
    # The fake model echoes the secret in a sentence that fails its guard (third person), so it is logged as dropped.
    collect_feedback(FakeTextModel(reply=f"The candidate said {SECRET}."), question=QUESTION,
                     answer=answer, rubric=rubric)
    assert "feedback guard dropped a opening sentence: third_person" in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.real_model
def test_model_logs_stay_quiet_unless_debug(caplog, gemma):
    caplog.set_level(logging.INFO)
    gemma.stream(SECRET, max_tokens=2).collect()
    assert SECRET not in caplog.text
