"""Speaking an answer in the app (pilot tests): no microphone is one line and typing works; a recording is
transcribed in a worker into the answer box while keys still answer; the delivery shows beside the rubric."""

from __future__ import annotations

import numpy as np
import pytest
from test_app import make_app, ready, start_interview_on_the_worked_example, text_of
from test_speech import DATA, _skip_reason, speak
from textual.widgets import TextArea

from coach.storage import open_db
from models.registry import Registry
from models.store import ModelStore


@pytest.fixture
def with_speech(tiny):
    """The tiny fake text model's store, with the real speech model's manifest beside it."""
    store, manifest, payload = tiny
    speech = Registry.load().default("speech")
    return ModelStore(models_dir=store.models_dir, registry=Registry([manifest, speech])), manifest, payload


async def test_speaking_without_a_microphone_is_one_line_and_typing_still_works(tiny):
    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_interview_on_the_worked_example(app, pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        screen = app.screen
        if screen.recorder is not None:  # a machine with a microphone: it records; stop and move on
            screen.recorder.stop()
            screen.recorder = None
            pytest.skip("this machine has a microphone: the no-microphone message cannot be shown here")
        messages = [str(n.message) for n in app._notifications]
        assert messages and "\n" not in messages[-1]
        assert any(word in messages[-1] for word in ("PortAudio", "sounddevice", "microphone"))
        assert "typing works" in messages[-1]
        assert messages[-1] in text_of(app, "#recording")
        box = screen.query_one("#answer", TextArea)
        box.focus()
        await pilot.press("o", "k")
        assert box.text == "ok"


async def test_ctrl_o_keeps_recordings_in_the_cli_setting_and_says_where_they_live(tiny, isolated_home):
    from coach.services.speaking import keep_audio

    app = make_app(tiny)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("f6")
        await pilot.pause()
        screen = app.screen
        box = screen.query_one("#answer", TextArea)
        box.focus()  # where the user is while answering

        def footer() -> list[str]:
            return [b.binding.description for key, b in screen.active_bindings.items() if key == "ctrl+o"]

        db = open_db()  # a connection of its own, as `coach keep-audio` would open
        assert footer() == ["Keep recordings: off"] and not keep_audio(db)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert keep_audio(db) and footer() == ["Keep recordings: on"]
        notice = [str(n.message) for n in app._notifications][-1]
        assert "\n" not in notice and str(isolated_home / "audio") in notice and "`coach forget` deletes" in notice
        assert notice in text_of(app, "#recording")
        assert box.text == ""  # the key toggled the setting; nothing was typed into the answer
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert not keep_audio(db) and footer() == ["Keep recordings: off"]
        assert "discarded" in [str(n.message) for n in app._notifications][-1]
        db.close()


@pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")
async def test_a_recording_is_transcribed_into_the_box_while_the_app_answers_keys(with_speech, tmp_path):
    from models.microphone import Recorder
    from models.speech import load_audio

    audio = load_audio(speak(DATA / "behavioural_fillers.txt", tmp_path / "a.wav", rate=150))
    app = make_app(with_speech)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_interview_on_the_worked_example(app, pilot)
        screen = app.screen
        # What PortAudio would do while the user speaks: blocks of 1,024 samples into the recorder's callback.
        levels = []
        recorder = Recorder(on_level=lambda level, seconds: levels.append(level))
        for start in range(0, len(audio), 1024):
            recorder.feed(audio[start:start + 1024].reshape(-1, 1))
        assert recorder.seconds == pytest.approx(len(audio) / 16000)
        screen.recorder = recorder
        # The real model, held at the start of its work until the keys are in: whether keys are handled while
        # it works must not depend on how fast this machine transcribes (that is measured in bench/).
        import threading

        from models.speech import load_speech_model

        release, real = threading.Event(), load_speech_model(app.ctx.store)

        class Held:
            def transcribe(self, *args, **kwargs):
                release.wait(60)
                return real.transcribe(*args, **kwargs)

            def close(self):
                real.close()

        screen.transcriber = Held()
        await pilot.press("ctrl+t")  # stop: transcription starts in a worker
        await pilot.pause()
        assert screen.transcribing and "Transcribing" in text_of(app, "#recording")
        box = screen.query_one("#answer", TextArea)
        box.focus()
        for _ in range(5):  # a mark no transcript holds ("x" is in "next" and "fixing")
            await pilot.press("vertical_line")
        assert box.text.count("|") == 5
        assert screen.transcribing, "the keys were only handled once transcription had finished"
        release.set()
        await ready(app, pilot)
        assert not screen.transcribing
        text = box.text
        assert "400" in text and "evaluation" in text.lower()
        box.load_text(text.replace("|", ""))
        await pilot.press("ctrl+s")
        await ready(app, pilot)
        assert "Score" in text_of(app, "#rubric")
        delivery = text_of(app, "#delivery")
        assert "Pace:" in delivery and "Fillers:" in delivery
    db = open_db()
    assert db["deliveries"].count == 1
    assert db["deliveries"].get(1)["audio_path"] is None  # discarded: the user did not ask to keep recordings


def test_the_level_meter_reads_loud_and_quiet_blocks():
    from models.speech import level

    assert level(np.zeros(1024, dtype=np.float32)) == 0.0
    assert level(np.full(1024, 0.5, dtype=np.float32)) > 0.8
    assert 0.0 < level(np.full(1024, 0.01, dtype=np.float32)) < 0.5
