"""Pilot tests of the morning-of brief in the app: Ctrl+B on Decode, b on Home, e exports."""

from test_app import decode_worked_example, make_app, ready
from textual.widgets import Markdown, TextArea

from coach.brief_render import brief_markdown
from coach.services.briefing import brief_for
from models.datadir import data_dir


async def _brief_shown(app, pilot) -> str:
    await ready(app, pilot)
    assert type(app.screen).__name__ == "BriefScreen"
    return app.screen.query_one("#brief", Markdown).source


async def test_the_brief_key_on_decode_and_home_shows_and_exports_the_brief(tiny):
    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("b")  # Home, nothing decoded yet: says what to do, opens nothing
        assert type(app.screen).__name__ == "HomeScreen"
        assert any("No decoded job description yet" in str(n.message) for n in app._notifications)

        await decode_worked_example(app, pilot)
        await pilot.press("ctrl+b")  # with the JD box focused: Ctrl+B, not a typed "b"
        shown = await _brief_shown(app, pilot)
        jd_id = app.screen.jd_id
        assert shown == brief_markdown(brief_for(app.ctx.db, jd_id))
        assert "### 1. Evaluation & quality" in shown and "## Questions you will most likely get" in shown

        await pilot.press("e")
        exports = data_dir() / "exports"
        assert (exports / f"brief-{jd_id}.md").read_text(encoding="utf-8") == shown
        assert (exports / f"brief-{jd_id}.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        assert any(str(exports / f"brief-{jd_id}.md") in str(n.message) for n in app._notifications)

        await pilot.press("escape")
        assert type(app.screen).__name__ == "DecodeScreen"
        assert app.screen.query_one("#jd-input", TextArea).text.rstrip().endswith("a plus.")  # no stray "b" typed
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("b")  # Home: the JD decoded last
        assert await _brief_shown(app, pilot) == shown


async def test_markup_in_a_jd_stays_text_in_the_brief(tiny):
    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("f3")
        hostile = ("Design and own the evaluation infrastructure [bold red]for[/] our LLM apps. "
                   "Debug production regressions and drive root-cause analysis **now**.")
        app.screen.query_one("#jd-input", TextArea).load_text(hostile)
        await pilot.press("ctrl+r")
        await ready(app, pilot)
        await pilot.press("ctrl+b")
        shown = await _brief_shown(app, pilot)
        assert "\\[bold red\\]for\\[/\\]" in shown  # the title is the JD's first line, escaped for Markdown
        heading = str(app.screen.query_one("MarkdownH1").render())
        assert "infrastructure [bold red]for[/] our" in heading  # shown as typed, neither Markdown nor markup
