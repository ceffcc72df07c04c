"""Pilot tests of every screen's main flow, with a fake model and no embedder."""

import pytest
from test_decode import WORKED_EXAMPLE
from test_rubric import ANSWERS
from textual.widgets import DataTable, Input, Static, TextArea

from coach.rubric import score_answer
from coach.storage import open_db
from models.errors import ModelLoadError
from models.fake import FakeTextModel
from models.store import VERIFIED
from tui.app import build_app
from tui.context import AppContext
from tui.widgets import StreamView


def make_app(tiny, reply="Expect questions on evaluation design.", delay=0.0, factory=None):
    store, manifest, _ = tiny

    def fake_factory(store_, manifest_, progress):
        store_.verified_path(manifest_, progress)
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
        read = text_of(app, "#read-text")
        assert "Likely interview focus: Expect questions on evaluation design." in read
        assert "Unstated expectations" in read
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
    assert open_db()["bench_runs"].count == 1


@pytest.mark.real_model
async def test_a_real_interview_round_in_the_app(real_store):
    """The app with the real 0.5B model: ask, answer, score, stream feedback."""
    from coach.storage import open_db as db_
    from models.loader import load_text_model

    manifest = real_store.registry.get("qwen2.5-coder-0.5b-instruct-q4_k_m")
    real_store.materialize(manifest)
    ctx = AppContext(store=real_store, db=db_(), manifest=manifest,
                     model_factory=lambda s, m, p: load_text_model(s, m, n_ctx=2048, progress=p))
    app = build_app(ctx=ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_interview_on_the_worked_example(app, pilot)
        assert text_of(app, "#question").strip().endswith("?")
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
