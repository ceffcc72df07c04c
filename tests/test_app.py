"""Pilot tests of every screen's main flow, with a fake model and no embedder."""

import pytest
from test_decode import WORKED_EXAMPLE
from test_rubric import ANSWERS
from textual.widgets import DataTable, Input, Static, TextArea

from coach.rubric import score_answer
from coach.storage import open_db
from models.errors import ModelLoadError
from models.fake import FakeTextModel
from models.loader import ready_model_file
from models.store import VERIFIED
from tui.app import build_app
from tui.context import AppContext
from tui.widgets import StreamView


def make_app(tiny, reply="Expect questions on evaluation design.", delay=0.0, factory=None):
    store, manifest, _ = tiny

    def fake_factory(store_, manifest_, on_progress):
        ready_model_file(store_, manifest_, on_progress=on_progress)  # the app's own flow up to the load
        return FakeTextModel(model_id=manifest_.id, reply=reply, token_delay_s=delay)

    ctx = AppContext(store=store, db=open_db(), manifest=manifest, model_factory=factory or fake_factory,
                     embedder_factory=lambda store_: None)
    return build_app(ctx=ctx)


def text_of(app, selector):
    widget = app.screen.query_one(selector)
    return widget.text if isinstance(widget, StreamView) else str(widget.render())


async def ready(app, pilot):
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_first_run_materialises_then_says_which_model_is_active(tiny):
    store, manifest, _ = tiny
    app = make_app(tiny)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        assert "Active model: Tiny test model" in text_of(app, "#model-name")
        assert text_of(app, "#model-status").startswith("Status: ready (sha256 verified")
        assert app.sub_title == "Tiny test model · ready"
    assert store.status(manifest) == VERIFIED
    assert app.ctx.model is None  # closed on exit


async def test_a_model_error_becomes_a_notification_and_the_app_keeps_running(tiny):
    def broken(*_):
        raise ModelLoadError("llama.cpp could not load tiny-test.gguf: bad magic")

    app = make_app(tiny, factory=broken)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        assert "not available — llama.cpp could not load" in text_of(app, "#model-status")
        assert any("bad magic" in str(n.message) for n in app._notifications)
        await pilot.press("f3")
        assert type(app.screen).__name__ == "DecodeScreen"


async def test_an_unexpected_error_in_background_work_is_a_notification(tiny):
    app = make_app(tiny)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("f3")
        app.screen.query_one("#jd-input", TextArea).load_text(WORKED_EXAMPLE)
        app.ctx.get_embedder = lambda: (_ for _ in ()).throw(RuntimeError("disk on fire"))
        await pilot.press("ctrl+r")
        await ready(app, pilot)
        assert any("disk on fire" in str(n.message) for n in app._notifications)
        assert app.is_running


async def test_every_screen_is_one_key_away_and_help_lists_the_keys(tiny):
    app = make_app(tiny)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        for key, name in [("f3", "DecodeScreen"), ("f4", "GapsScreen"), ("f5", "StoriesScreen"),
                          ("f6", "InterviewScreen"), ("f7", "ModelsScreen"), ("f8", "BenchScreen"),
                          ("f2", "HomeScreen"), ("f1", "HelpScreen")]:
            await pilot.press(key)
            await pilot.pause()
            assert type(app.screen).__name__ == name
        await pilot.press("escape")
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Decode a job description", "Interview", "Models", "Bench", "Help"} <= set(commands)


async def decode_worked_example(app, pilot):
    await pilot.press("f3")
    app.screen.query_one("#jd-input", TextArea).load_text(WORKED_EXAMPLE)
    await pilot.press("ctrl+r")
    await ready(app, pilot)


async def start_interview_on_the_worked_example(app, pilot):
    """Decode the seed's JD, open the Interview screen and start: the first question is asked."""
    await ready(app, pilot)
    await decode_worked_example(app, pilot)
    await pilot.press("f6")
    await pilot.pause()
    await pilot.press("ctrl+r")
    await ready(app, pilot)


async def test_decode_shows_clusters_and_streams_the_models_read(tiny):
    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await decode_worked_example(app, pilot)
        summary = text_of(app, "#summary")
        assert "Evaluation & quality" in summary and "design, own, partner, define, debug, drive" in summary
        from coach.decode import decode
        from coach.render import flavor_line, level_line

        expected = decode(WORKED_EXAMPLE)  # lexical, as the app here runs without an embedder
        assert f"Level: {level_line(expected.level)}" in summary and "possibly" in level_line(expected.level)
        assert f"Flavor: {flavor_line(expected.flavor)}" in summary and "LLM engineer" in summary
        assert all(c.name in summary for c in expected.clusters)  # never cut ("Cross-functional collaborat")
        read = text_of(app, "#read-text")
        assert read.startswith("Questions this JD will likely produce: \n1. “")  # at once, from the decode
        # The fake model's words quote nothing of the JD, so the guard shows none of them and says so.
        assert "What it expects but does not say: (nothing the model said could be tied" in read
        jd_view = app.screen.query_one("#jd-text", Static).render()
        assert any("underline" in str(span.style) for span in jd_view.spans)  # verbs highlighted
    assert open_db()["jds"].count == 1  # the decoded JD is kept for Gaps and Interview


async def test_markup_in_a_jd_is_shown_as_text(tiny):
    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("f3")
        app.screen.query_one("#jd-input", TextArea).load_text("[bold red]Evaluate[/] models. [link=x]Debug[/link] it.")
        await pilot.press("ctrl+r")
        await ready(app, pilot)
        assert "[bold red]Evaluate[/]" in str(app.screen.query_one("#jd-text", Static).render())


async def test_escape_stops_the_model_within_a_token(tiny):
    app = make_app(tiny, reply=" ".join(["word"] * 400), delay=0.01)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("f3")
        app.screen.query_one("#jd-input", TextArea).load_text(WORKED_EXAMPLE)
        await pilot.press("ctrl+r")
        await pilot.pause(0.3)
        await pilot.press("escape")
        await ready(app, pilot)
        read = text_of(app, "#read-text")
        assert read.endswith("(stopped)") and read.count("word") < 100


async def test_gaps_rates_and_exports_the_matrix(tiny, isolated_home):
    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await decode_worked_example(app, pilot)
        await pilot.press("f4")
        await ready(app, pilot)
        table = app.screen.query_one(DataTable)
        table.focus()
        assert table.row_count == 6
        await pilot.press("2")
        await ready(app, pilot)
        row = next(open_db().query("select * from matrix_rows"))
        assert (row["cluster_id"], row["confidence"]) == ("evaluation", 2)
        await pilot.press("e")
        await pilot.pause()
    exported = (isolated_home / "exports" / "matrix-1.md").read_text()
    assert "| Evaluation & quality | 3 | — | 2 | 9 **← this week** |" in exported


async def test_stories_save_and_retarget(tiny):
    app = make_app(tiny, reply="I designed the retrieval and evaluation for our support bot.")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("f5")
        app.screen.query_one("#title", Input).value = "Support-bot RAG"
        app.screen.query_one("#action", TextArea).load_text("I built hybrid retrieval and RAGAS evals.")
        app.screen.query_one("#result", TextArea).load_text("Faithfulness rose from 71% to 87%.")
        await pilot.press("ctrl+s")
        await ready(app, pilot)
        assert open_db()["stories"].count == 1
        await pilot.press("ctrl+r")
        await ready(app, pilot)
        openings = text_of(app, "#openings-text")
        assert openings.count("I designed the retrieval") == 3 and "Applied AI engineer:" in openings


async def test_interview_round_with_rubric_and_feedback(tiny):
    app = make_app(tiny, reply="How would you set the launch threshold for our evaluation infrastructure?")
    async with app.run_test(size=(120, 40)) as pilot:
        await start_interview_on_the_worked_example(app, pilot)
        assert "question 1 of 5" in text_of(app, "#where")
        assert text_of(app, "#question") == "How would you set the launch threshold for our evaluation infrastructure?"
        assert app.focused is app.screen.query_one("#answer", TextArea)  # a paste lands in the answer box
        app.screen.query_one("#answer", TextArea).load_text(ANSWERS["specific"])
        await pilot.press("ctrl+s")
        await pilot.press("ctrl+s")  # a double submit stores one answer
        await ready(app, pilot)
        from coach.questions import load_bank

        kind = next(q.kind for q in load_bank() if q.id == app.screen.turn.question_id)  # a tailored question keeps it
        expected = score_answer(ANSWERS["specific"], question=text_of(app, "#question"), competency="evaluation",
                                kind=kind)
        assert f"Score {expected.overall}/5" in text_of(app, "#rubric"), [str(n.message) for n in app._notifications]
        assert "What landed: " in text_of(app, "#feedback") and "Follow-up question: " in text_of(app, "#feedback")
        await pilot.press("ctrl+n")
        await ready(app, pilot)
        assert "question 2 of 5" in text_of(app, "#where")
    db = open_db()
    assert db["answers"].count == 1 and db["scores"].count == 1


async def test_the_rubrics_feedback_shows_with_the_score_before_the_model_writes(tiny):
    # The model writes slowly here (0.1 s a token): the rubric's parts must not wait for its first sentence.
    app = make_app(tiny, reply="How would you set the launch threshold for our evaluation infrastructure?",
                   delay=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_interview_on_the_worked_example(app, pilot)
        app.screen.query_one("#answer", TextArea).load_text(ANSWERS["specific"])
        await pilot.press("ctrl+s")
        seen = ""
        for _ in range(100):
            await pilot.pause(0.05)
            seen = text_of(app, "#feedback")
            if "What to sharpen: " in seen and not seen.rstrip().endswith("What to sharpen:"):
                break
        assert "What landed: Your strongest" in seen and "Follow-up question" not in seen, seen
        await ready(app, pilot)
        assert "Follow-up question: " in text_of(app, "#feedback")


async def test_an_empty_answer_asks_before_it_is_submitted(tiny):
    app = make_app(tiny, reply="How would you set the launch threshold for our evaluation infrastructure?")
    async with app.run_test(size=(120, 40)) as pilot:
        await start_interview_on_the_worked_example(app, pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("n")
        await ready(app, pilot)
        assert open_db()["answers"].count == 0
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await ready(app, pilot)
        assert open_db()["answers"].count == 1 and "Score 1/5" in text_of(app, "#rubric")


async def test_models_screen_lists_and_verifies(tiny):
    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("f7")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1 and "verified" in [str(c) for c in table.get_row_at(0)]
        table.focus()
        await pilot.press("v")
        await ready(app, pilot)
        assert any("sha256 matches" in str(n.message) for n in app._notifications)


async def test_bench_screen_measures_and_keeps_history(tiny):
    app = make_app(tiny, reply=" ".join(["token"] * 200), delay=0.001)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("f8")
        await pilot.press("ctrl+r")
        await ready(app, pilot)
        figures = text_of(app, "#figures")
        assert "p95" in figures and "128 tokens" in figures
        assert "p99" in figures and "needs n ≥ 368 to gate" in figures  # 127 gaps cannot bound a p99
    assert open_db()["bench_runs"].count == 1


@pytest.mark.real_model
async def test_a_real_interview_round_in_the_app(real_store):
    """The app with the real 0.5B model: ask, answer, score, stream feedback."""
    from coach.storage import open_db as db_
    from models.loader import prepare_text_model

    manifest = real_store.registry.get("qwen2.5-coder-0.5b-instruct-q4_k_m")
    ctx = AppContext(store=real_store, db=db_(), manifest=manifest,
                     model_factory=lambda s, m, on_progress: prepare_text_model(s, m, n_ctx=2048,
                                                                                on_progress=on_progress))
    app = build_app(ctx=ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_interview_on_the_worked_example(app, pilot)
        from coach.questions import load_bank

        asked = text_of(app, "#question").strip()
        # The model's tailored question, or the bank's own when the model's was refused (some bank questions are
        # prompts such as "Tell me about a time ...", without a question mark).
        assert asked.endswith("?") or asked in {q.text for q in load_bank()}, asked
        app.screen.query_one("#answer", TextArea).load_text(ANSWERS["specific"])
        await pilot.press("ctrl+s")
        await ready(app, pilot)
        assert "Score" in text_of(app, "#rubric")
        feedback = text_of(app, "#feedback")
        assert "What landed: " in feedback and "Follow-up question: " in feedback


MARKUP = ["[/]", "[bold red]x[/bold red]", "[link=file:///etc/passwd]y[/link]", "[@click=app.quit]z[/]", "\\[b]"]


@pytest.mark.parametrize("nasty", MARKUP)
async def test_markup_in_any_user_text_is_shown_as_written_on_every_screen(tiny, nasty):
    from coach.decode import decode
    from coach.jds import save_decode, save_jd
    from coach.matrix import set_row
    from coach.stories import Story, save_story

    db = open_db()
    jd = save_jd(db, WORKED_EXAMPLE, title=f"JD {nasty}")
    save_decode(db, jd.id, decode(WORKED_EXAMPLE))
    set_row(db, jd.id, "evaluation", evidence=f"evidence {nasty}", confidence=2)
    save_story(db, Story(f"story {nasty}", action=f"I did {nasty}"))
    app = make_app(tiny)
    async with app.run_test(size=(140, 45)) as pilot:
        await ready(app, pilot)
        for key in ("f2", "f3", "f4", "f5", "f6", "f7", "f8"):
            await pilot.press(key)
            await ready(app, pilot)
        await pilot.press("f4")
        await ready(app, pilot)
        table = app.screen.query_one(DataTable)
        cells = " ".join(str(c) for r in range(table.row_count) for c in table.get_row_at(r))
        assert f"evidence {nasty}"[:40] in cells
    assert app.return_code in (None, 0)


# -- start-up, model switches and cancellation (issues 13 and 21) -----------------------------
async def test_keys_work_while_the_model_loads_and_the_load_runs_below_the_ui(tiny):
    """F-keys and the screens' keys answer while the model verifies and loads; on Linux the hashing and
    loading run at a lower priority than the UI, and the app's other work does not inherit it."""
    import os
    import sys
    import threading

    from models.loader import LOADING

    release, priorities = threading.Event(), {}

    def slow(store_, manifest_, on_progress):
        ready_model_file(store_, manifest_, on_progress=on_progress)
        on_progress(LOADING, 0, 0)
        priorities["load"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        release.wait(120)  # released below; the bound only keeps a failing test from hanging
        return FakeTextModel(model_id=manifest_.id, reply="Expect questions on evaluation design.")

    def embedder(store_):
        priorities["embedder"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    app = make_app(tiny, factory=slow)
    app.ctx.embedder_factory = embedder
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if "Loading the model into memory" in app.model_status:
                break
        assert app.model_status == "Loading the model into memory…" and app.sub_title.endswith("loading")
        assert app.screen.query_one("#model-progress").total is None  # no byte count: no stale 100%
        await pilot.press("f3")
        assert type(app.screen).__name__ == "DecodeScreen"
        app.screen.query_one("#jd-input", TextArea).load_text(WORKED_EXAMPLE)
        await pilot.press("ctrl+r")
        for _ in range(200):
            await pilot.pause(0.02)
            if "not loaded yet" in text_of(app, "#read-text"):
                break
        assert "Evaluation & quality" in text_of(app, "#summary")  # the decode needs no model
        assert "the model is not loaded yet" in text_of(app, "#read-text")
        await pilot.press("f8")
        await pilot.pause()
        assert type(app.screen).__name__ == "BenchScreen"
        await pilot.press("ctrl+r")
        for _ in range(100):
            await pilot.pause(0.02)
            if any("not loaded yet" in str(n.message) for n in app._notifications):
                break
        assert any("not loaded yet" in str(n.message) for n in app._notifications), \
            ([str(n.message) for n in app._notifications], app.focused, app.ctx.model, app.screen)
        release.set()
        await ready(app, pilot)
        assert app.sub_title.endswith("ready")
    if sys.platform == "linux":
        assert priorities == {"load": 10, "embedder": 0}


async def test_prepare_text_model_reports_each_stage_of_the_one_flow(tiny):
    """Materialise, verify, load: the stages the app shows come from the loader, the CLI's flow too."""
    from models.errors import CoachError
    from models.loader import LOADING, prepare_text_model

    store, manifest, _ = tiny
    stages = []
    with pytest.raises(CoachError):  # the tiny file is no GGUF: it gets as far as the load
        prepare_text_model(store, manifest, on_progress=lambda stage, done, total: stages.append(stage))
    assert list(dict.fromkeys(stages)) == ["Materialising the model from its installed packages",
                                           "Verifying sha256", LOADING]
    assert store.status(manifest) == VERIFIED


def two_models(tiny):
    """The tiny store with a second text model made of the same packages."""
    from conftest import make_manifest

    from models.registry import Registry
    from models.store import ModelStore

    store, manifest, payload = tiny
    other = make_manifest(list(manifest.pypi_parts), payload, id="tiny-two", name="Tiny two", file="tiny-two.gguf")
    return ModelStore(models_dir=store.models_dir, registry=Registry([manifest, other])), manifest, payload


async def test_switching_models_stops_the_running_job_and_closes_the_old_model_off_the_ui_thread(tiny):
    import threading

    seen = {}

    class Watched(FakeTextModel):
        def close(self):
            seen["on_ui_thread"] = threading.current_thread() is threading.main_thread()
            seen["jobs_running"] = len(app.ctx._running)
            super().close()

    def factory(store_, manifest_, on_progress):
        ready_model_file(store_, manifest_, on_progress=on_progress)
        return Watched(model_id=manifest_.id, reply=" ".join(["word"] * 400), token_delay_s=0.2)

    app = make_app(two_models(tiny), factory=factory)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        old = app.ctx.model
        await pilot.press("f3")
        app.screen.query_one("#jd-input", TextArea).load_text(WORKED_EXAMPLE)
        await pilot.press("ctrl+r")
        for _ in range(500):
            await pilot.pause(0.02)
            if old.prompts:
                break
        assert old.prompts  # it is generating (a slot takes seconds at 0.2 s a token)
        await pilot.press("f7")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        table.focus()
        await pilot.press("down", "u")
        await ready(app, pilot)
        assert old.closed and seen == {"on_ui_thread": False, "jobs_running": 0}
        assert app.ctx.model is not None and app.ctx.model.model_id == "tiny-two" and not app.ctx.model.closed
        assert app.sub_title == "Tiny two · ready"
        await pilot.press("f3")
        read = app.screen.query_one("#read-text", StreamView).text
        assert "(stopped)" in read, read[-300:]


LONG, SHORT = " ".join(["word"] * 300), "How would you set the launch threshold for our evaluation infrastructure?"


def switchable(tiny):
    """An app whose fake model writes a long, slow reply while `state['long']`, else a short one at once."""
    state = {"long": True}

    def factory(store_, manifest_, on_progress):
        ready_model_file(store_, manifest_, on_progress=on_progress)
        model = FakeTextModel(model_id=manifest_.id, reply=lambda prompt: LONG if state["long"] else SHORT)
        model.token_delay_s = 0.01
        return model

    return make_app(tiny, factory=factory), state


async def press_escape_while_it_writes(app, pilot, state):
    await pilot.pause(0.4)  # the reply is 300 tokens at 10 ms: seconds longer than this
    await pilot.press("escape")
    await ready(app, pilot)
    state["long"] = False


async def test_escape_then_a_new_read_on_decode(tiny):
    app, state = switchable(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("f3")
        app.screen.query_one("#jd-input", TextArea).load_text(WORKED_EXAMPLE)
        await pilot.press("ctrl+r")
        await press_escape_while_it_writes(app, pilot, state)
        assert text_of(app, "#read-text").endswith("(stopped)")
        await pilot.press("ctrl+r")
        await ready(app, pilot)
        read = text_of(app, "#read-text")
        assert "(stopped)" not in read and "What it expects but does not say: (nothing" in read, read


async def test_escape_then_a_new_retarget_on_stories(tiny):
    app, state = switchable(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("f5")
        app.screen.query_one("#title", Input).value = "Support-bot RAG"
        app.screen.query_one("#action", TextArea).load_text("I built hybrid retrieval and RAGAS evals.")
        await pilot.press("ctrl+s")
        await ready(app, pilot)
        await pilot.press("ctrl+r")
        await press_escape_while_it_writes(app, pilot, state)
        first = text_of(app, "#openings-text")
        assert first.endswith("(stopped)") and first.count("word") < 300
        await pilot.press("ctrl+r")
        await ready(app, pilot)
        openings = text_of(app, "#openings-text")
        assert openings.count(SHORT) == 3 and "(stopped)" not in openings


async def test_escape_then_new_jobs_on_interview(tiny):
    """Esc on a question gives the bank's question; the scoring that follows is not stopped by it, and an
    Esc on the feedback does not stop the next question."""
    from coach.questions import load_bank

    app, state = switchable(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await decode_worked_example(app, pilot)
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await press_escape_while_it_writes(app, pilot, state)
        bank = {q.id: q.text for q in load_bank()}
        assert text_of(app, "#question") == bank[app.screen.turn.question_id]  # stopped: the bank's own
        model = app.ctx.model
        asked = len(model.prompts)
        app.screen.query_one("#answer", TextArea).load_text(ANSWERS["specific"])
        state["long"] = True
        await pilot.press("ctrl+s")
        await pilot.pause(0.4)
        assert len(model.prompts) > asked  # the feedback went to the model: the question's Esc did not stop it
        await press_escape_while_it_writes(app, pilot, state)
        assert "Score" in text_of(app, "#rubric")
        await pilot.press("ctrl+n")
        await ready(app, pilot)
        assert "question 2 of 5" in text_of(app, "#where") and text_of(app, "#question") == SHORT


async def test_escape_then_a_new_run_on_bench(tiny):
    app, state = switchable(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("f8", "ctrl+r")
        await press_escape_while_it_writes(app, pilot, state)
        assert "Stopped: nothing recorded" in text_of(app, "#figures")
        assert open_db()["bench_runs"].count == 0
        state["long"] = True
        await pilot.press("ctrl+r")
        await ready(app, pilot)
        assert "p95" in text_of(app, "#figures")
    assert open_db()["bench_runs"].count == 1


def retired_first_release_db(home):
    """The first release's data upgraded, with two cluster ids a newer taxonomy no longer has: one rated,
    linked and in the saved decode; one the next interview question's."""
    import sqlite3

    from test_storage import FIRST_RELEASE_DB

    sql = FIRST_RELEASE_DB.read_text(encoding="utf-8")
    for old in ("evaluation", "prompting"):
        sql = sql.replace(f"'{old}'", f"'retired_{old}'").replace(f'"{old}"', f'"retired_{old}"')
    assert sql.count("retired_evaluation") >= 3 and "'retired_prompting'" in sql
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    conn = sqlite3.connect(home / "coach.db")
    conn.executescript(sql)
    conn.close()


def error_notes(app):
    return [str(n.message) for n in app._notifications if n.severity == "error"]


async def test_every_screen_opens_a_first_release_database_whose_clusters_a_newer_taxonomy_removed(tiny, isolated_home):
    """Issue 21 item 6: Home, Gaps, Stories and Bench show the old data; nothing raises."""
    retired_first_release_db(isolated_home)
    app = make_app(tiny)
    async with app.run_test(size=(140, 45)) as pilot:
        await ready(app, pilot)
        for key in ("f2", "f4", "f5", "f8"):
            await pilot.press(key)
            await ready(app, pilot)
        await pilot.press("f5")
        app.screen.query_one("#bank").focus()
        await pilot.press("down", "enter")
        await ready(app, pilot)
        assert "Retired evaluation (no longer in the taxonomy)" in text_of(app, "#links"), error_notes(app)
        await pilot.press("f4")
        await ready(app, pilot)
        assert app.screen.query_one(DataTable).row_count >= 5
        await pilot.press("f2")
        await ready(app, pilot)
        assert "Product sense" in text_of(app, "#progress")
        assert error_notes(app) == []


async def test_an_interview_resumes_on_a_question_whose_cluster_a_newer_taxonomy_removed(tiny, isolated_home):
    retired_first_release_db(isolated_home)
    app = make_app(tiny)
    async with app.run_test(size=(140, 45)) as pilot:
        await ready(app, pilot)
        await pilot.press("f6")
        await ready(app, pilot)
        assert "question 2 of 3" in text_of(app, "#where"), error_notes(app)


async def test_while_the_model_has_not_written_a_word_the_screens_say_so(tiny):
    """Issue 13: an empty question box for the seconds before the first token looked broken."""
    import threading

    from tui.screens.decode import WRITING_READ
    from tui.screens.interview import WRITING_QUESTION

    release = threading.Event()

    def factory(store_, manifest_, on_progress):
        ready_model_file(store_, manifest_, on_progress=on_progress)
        return FakeTextModel(model_id=manifest_.id, reply=lambda prompt: SHORT if release.wait(20) else "")

    async def until(check):
        for _ in range(300):
            await pilot.pause(0.02)
            if check():
                return

    app = make_app(tiny, factory=factory)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("f3")
        app.screen.query_one("#jd-input", TextArea).load_text(WORKED_EXAMPLE)
        await pilot.press("ctrl+r")
        await until(lambda: "Evaluation" in text_of(app, "#summary"))
        shown = text_of(app, "#read-text")  # never an empty box: the likely questions need no model
        assert shown == WRITING_READ or shown.startswith("Questions this JD will likely produce"), shown
        release.set()
        await ready(app, pilot)
        assert "What it expects but does not say: " in text_of(app, "#read-text")
        release.clear()
        app.ctx.prefetcher = lambda: None  # a cold start: the question is written while the user waits
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await until(lambda: "question 1 of 5" in text_of(app, "#where"))
        assert text_of(app, "#question") == WRITING_QUESTION
        release.set()
        await ready(app, pilot)
        assert text_of(app, "#question") == SHORT


async def test_gaps_says_why_a_key_does_nothing(tiny):
    """Issue 13: a key outside 1-5, or a rating with no decoded JD, says why instead of doing nothing."""
    app = make_app(tiny)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f4")
        await ready(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        assert any("decode a job description first" in str(n.message) for n in app._notifications)
        await decode_worked_example(app, pilot)
        await pilot.press("f4")
        await ready(app, pilot)
        app.screen.query_one(DataTable).focus()
        await pilot.press("9")
        await pilot.pause()
        assert any("rated 1 to 5" in str(n.message) for n in app._notifications)
        assert all(row["confidence"] is None for row in open_db().query("select confidence from matrix_rows"))


async def test_interview_keys_before_a_start_say_why(tiny):
    app = make_app(tiny)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("f6")
        await ready(app, pilot)
        await pilot.press("ctrl+n", "ctrl+s", "ctrl+r")
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert "Start an interview first (Ctrl+R)" in messages and "Start an interview first" in messages
        assert "Decode a job description first (F3)" in messages


async def test_copy_works_with_the_cursor_in_the_answer_box(tiny):
    # Ctrl+Y is the text area's redo, and the answer box has focus while you answer: F9 must still copy.
    app = make_app(tiny, reply="How would you set the launch threshold for our evaluation infrastructure?")
    async with app.run_test(size=(120, 40)) as pilot:
        await start_interview_on_the_worked_example(app, pilot)
        assert app.focused is app.screen.query_one("#answer", TextArea)
        await pilot.press("f9")
        await pilot.pause()
        assert app.clipboard.startswith("How would you set the launch threshold"), app.clipboard
