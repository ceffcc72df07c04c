"""Snapshot tests of the main screens (pytest-textual-snapshot); update with --snapshot-update."""

from test_app import make_app, ready, start_interview_on_the_worked_example
from test_decode import WORKED_EXAMPLE
from test_rubric import ANSWERS
from textual.widgets import DataTable, TextArea

SIZE = (110, 36)


async def _decode(pilot) -> None:
    app = pilot.app
    await ready(app, pilot)
    await pilot.press("f3")
    jd_input = app.screen.query_one("#jd-input", TextArea)
    jd_input.cursor_blink = False  # a blinking cursor makes the picture depend on the moment it is taken
    jd_input.load_text(WORKED_EXAMPLE)
    await pilot.press("ctrl+r")
    await ready(app, pilot)
    await pilot.pause(0.3)  # the workers' last Messages (the read's final pieces) are handled before the picture


def test_decode_screen(snap_compare, tiny):
    app = make_app(tiny, reply="Expect deep questions on how you gate launches with evaluations.")
    assert snap_compare(app, terminal_size=SIZE, run_before=_decode)


def test_interview_screen(snap_compare, tiny):
    async def run_before(pilot) -> None:
        await start_interview_on_the_worked_example(pilot.app, pilot)
        pilot.app.screen.query_one("#answer", TextArea).load_text(ANSWERS["specific"])
        await pilot.press("ctrl+s")
        await ready(pilot.app, pilot)

    app = make_app(tiny, reply="How would you set the launch threshold for our evaluation infrastructure?")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_gaps_screen(snap_compare, tiny):
    async def run_before(pilot) -> None:
        await _decode(pilot)
        await pilot.press("f4")
        await ready(pilot.app, pilot)
        pilot.app.screen.query_one(DataTable).focus()
        await pilot.press("4", "down", "2")
        await ready(pilot.app, pilot)

    assert snap_compare(make_app(tiny), terminal_size=SIZE, run_before=run_before)


def test_models_screen(snap_compare, tiny):
    async def run_before(pilot) -> None:
        await ready(pilot.app, pilot)
        await pilot.press("f7")
        await pilot.pause()

    assert snap_compare(make_app(tiny), terminal_size=SIZE, run_before=run_before)
