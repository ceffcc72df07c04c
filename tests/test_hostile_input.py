"""Hostile input (hypothesis): random unicode, control characters, huge texts, binary and invalid
UTF-8. No crash: a result or one clear message, and nothing stored is lost."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_rubric import QUESTION

from coach.decode import MAX_JD_CHARS, decode
from coach.rubric import score_answer
from models.errors import CoachError
from tui.cli import read_text_file

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=3000)


@SETTINGS
@given(TEXT)
def test_decode_never_crashes(text):
    try:
        result = decode(text)
    except CoachError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    for cluster in result.clusters:
        for start, end in cluster.spans:
            assert 0 <= start < end <= len(text)
    assert result.level.value in (None, "L4", "L5", "Staff")


@SETTINGS
@given(TEXT)
def test_scoring_never_crashes_and_stays_on_the_scale(answer):
    result = score_answer(answer, question=QUESTION, competency="evaluation")
    assert 1 <= result.overall <= 5 and 1.0 <= result.expected <= 5.0
    assert all(0 <= c.score <= 2 for c in result.criteria)
    assert (result.category == "answer") == (result.overall > 1)
    assert result.rationale[-1].startswith(f"Overall {result.overall}/5")


@SETTINGS
@given(st.binary(max_size=4000))
def test_any_bytes_as_a_file_are_text_or_one_clear_message(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("hostile") / "jd.txt"
    path.write_bytes(data)
    try:
        text = read_text_file(str(path))
    except CoachError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        return
    try:
        decode(text)
    except CoachError as exc:
        assert "\n" not in str(exc)


def test_a_one_megabyte_jd_is_refused_or_decoded_never_a_crash():
    line = "- Build evaluation pipelines and debug production incidents for our RAG system.\n"
    text = line * (MAX_JD_CHARS // len(line))
    assert len(text) <= MAX_JD_CHARS
    assert decode(text).clusters[0].mentions > 10_000
    with pytest.raises(CoachError, match="is not one"):
        decode(text + "x" * (len(line) * 2))


def test_control_characters_and_nul_are_handled():
    with pytest.raises(CoachError, match="binary"):
        decode("Design evals\x00\x00 for LLMs")
    result = decode("\x1b[31mDesign\x1b[0m and own the evaluation infrastructure\x07\x08 for LLM apps.")
    assert result.clusters[0].id == "evaluation"
    garbled = score_answer("\x1b[2J\x00 I built evals \x07", question=QUESTION, competency="evaluation")
    assert garbled.overall == 1 and garbled.category != "answer"  # three words are not an answer worth credit


async def test_markup_in_an_answer_cannot_change_the_screen(tiny):
    from test_app import make_app, ready, start_interview_on_the_worked_example
    from textual.widgets import Static, TextArea

    app = make_app(tiny, reply="How would you set the launch threshold?")
    async with app.run_test(size=(120, 40)) as pilot:
        await start_interview_on_the_worked_example(app, pilot)
        app.screen.query_one("#answer", TextArea).load_text(
            "At my last company I built evals for our support assistant. Faithfulness went from [bold]71%[/bold] "
            "to 88%.")
        await pilot.press("ctrl+s")
        await ready(app, pilot)
        rubric = str(app.screen.query_one("#rubric", Static).render())
        assert "from [bold]71%[/bold] to" in rubric  # quoted from the answer, shown as typed
