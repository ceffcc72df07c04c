"""Speaking an answer on the Interview screen: record (Ctrl+T starts and stops), a level meter with the
elapsed time, transcription in a worker streamed into the answer box (editable before submit), and the
delivery shown beside the rubric once the answer is scored. Ctrl+O keeps recordings or stops keeping them
(the footer shows which).

A mixin, so that the Interview screen gains two keys, a widget and a worker and nothing else of it
changes. The flow itself (transcribe, judge the delivery, store it, keep or discard the audio) is
`coach.services.speaking`, the same as the CLI's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Static, TextArea

from models.errors import CoachError


@dataclass
class SpeechLevel(Message):
    level: float
    seconds: float


@dataclass
class SpeechText(Message):
    text: str  # one finished segment of the transcript


@dataclass
class SpeechDone(Message):
    transcript: Any  # models.speech.Transcript, or None when it failed
    error: str | None = None


@dataclass
class SpeechDelivery(Message):
    delivery: Any  # coach.delivery.Delivery


class RecordingBar(Static):
    """One line: the level meter and elapsed time while recording, then what happens next."""

    DEFAULT_CSS = "RecordingBar { height: 1; padding: 0 1; color: $text-muted; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Ctrl+T speaks your answer (offline); Ctrl+T again stops.", id=id, markup=False)

    def show_level(self, level: float, seconds: float, width: int = 20) -> None:
        filled = round(level * width)
        line = Text("● REC ", style="bold red")
        line.append("█" * filled + "░" * (width - filled), style="green" if level < 0.85 else "red")
        line.append(f"  {int(seconds // 60)}:{int(seconds % 60):02d}   Ctrl+T stops")
        self.update(line)

    def say(self, text: str) -> None:
        self.update(Text(text))


class SpeakingMixin:
    """For a screen with an `#answer` TextArea, a RecordingBar `#recording`, `self.turn` and `self.app.ctx`."""

    recorder: Any = None
    transcriber: Any = None
    spoken: tuple[int, Any, np.ndarray] | None = None  # (question idx, transcript, audio) of the answer in the box
    transcribing = False

    def action_speak(self) -> None:
        bar = self.query_one("#recording", RecordingBar)  # type: ignore[attr-defined]
        if self.recorder is not None:
            recorder, self.recorder = self.recorder, None
            audio = recorder.stop()
            if self.turn is None:  # type: ignore[attr-defined]
                bar.say("Stopped; start an interview to answer a question.")
                return
            bar.say(f"Transcribing {recorder.seconds:.0f} s of audio… (typing still works)")
            self.transcribing = True
            self.transcribe_worker(audio, self.turn.idx)  # type: ignore[attr-defined]
            return
        if self.transcribing:
            self.notify("Still transcribing the last recording", severity="warning")  # type: ignore[attr-defined]
            return
        from models.microphone import Recorder

        recorder = Recorder(on_level=lambda level, seconds: self.post_message(SpeechLevel(level, seconds)))  # type: ignore[attr-defined]
        try:
            recorder.start()
        except CoachError as exc:
            bar.say(str(exc))
            self.notify(str(exc), severity="warning")  # type: ignore[attr-defined]
            return
        self.recorder = recorder
        bar.show_level(0.0, 0.0)

    @work(thread=True, exit_on_error=False, exclusive=True, group="speech")
    def transcribe_worker(self, audio: np.ndarray, idx: int) -> None:
        # At a lower priority, as the app loads its models: CTranslate2's threads take every core they get, and
        # on a two-core laptop the UI would wait seconds for a key (they inherit the nice value of their loader).
        from tui.app import at_low_priority

        try:
            if self.transcriber is None:
                from models.speech import load_speech_model

                self.transcriber = at_low_priority(load_speech_model, self.app.ctx.store)  # type: ignore[attr-defined]
            transcript = at_low_priority(lambda: self.transcriber.transcribe(
                audio, on_segment=lambda text, end, total: self.post_message(SpeechText(text))))  # type: ignore[attr-defined]
        except CoachError as exc:
            self.post_message(SpeechDone(None, str(exc)))  # type: ignore[attr-defined]
            return
        self.spoken = (idx, transcript, audio)
        self.post_message(SpeechDone(transcript))  # type: ignore[attr-defined]

    keeps_audio: bool | None = None  # the stored keep_audio setting as the footer shows it; read at first need

    def keeping_audio(self) -> bool:
        if self.keeps_audio is None:
            from coach.services.speaking import keep_audio

            self.keeps_audio = keep_audio(self.app.ctx.db)  # type: ignore[attr-defined]
        return self.keeps_audio

    def action_keep_audio(self, keep: bool) -> None:
        """Ctrl+O: keep recordings of answers or not; the setting `coach keep-audio` reads and writes."""
        from coach.services import speaking

        speaking.set_keep_audio(self.app.ctx.db, keep)  # type: ignore[attr-defined]
        self.keeps_audio = keep
        notice = speaking.keep_audio_notice(keep)
        notice = notice[0].upper() + notice[1:] + "."
        self.query_one("#recording", RecordingBar).say(notice)  # type: ignore[attr-defined]
        self.notify(notice)  # type: ignore[attr-defined]
        self.refresh_bindings()  # type: ignore[attr-defined]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Two Ctrl+O bindings, one per state: the footer shows (and the key runs) the one that flips the setting.
        if action == "keep_audio":
            return parameters[0] != self.keeping_audio()
        return super().check_action(action, parameters)  # type: ignore[misc]

    def on_speech_level(self, message: SpeechLevel) -> None:
        if self.recorder is not None:
            self.query_one("#recording", RecordingBar).show_level(message.level, message.seconds)  # type: ignore[attr-defined]

    def on_speech_text(self, message: SpeechText) -> None:
        box = self.query_one("#answer", TextArea)  # type: ignore[attr-defined]
        box.insert(("" if not box.text or box.text.endswith((" ", "\n")) else " ") + message.text, box.document.end)

    def on_speech_done(self, message: SpeechDone) -> None:
        self.transcribing = False
        bar = self.query_one("#recording", RecordingBar)  # type: ignore[attr-defined]
        if message.error:
            bar.say(message.error)
            self.notify(message.error, severity="warning")  # type: ignore[attr-defined]
            return
        t = message.transcript
        bar.say(f"Transcribed {t.duration:.0f} s in {t.seconds:.1f} s. Edit if you like; Ctrl+S submits.")

    def deliver(self, answer_id: int, idx: int, rubric: Any) -> None:
        """From the scoring worker, once the rubric is known: the delivery of a spoken answer, stored with it."""
        spoken = self.spoken
        if spoken is None or spoken[0] != idx:
            return
        from coach.services import speaking

        _, transcript, audio = spoken
        self.spoken = None
        delivery = speaking.delivery_of(transcript, rubric)
        speaking.record_delivery(self.app.ctx.db, answer_id=answer_id, transcript=transcript, delivery=delivery,  # type: ignore[attr-defined]
                                 audio=audio)
        self.post_message(SpeechDelivery(delivery))  # type: ignore[attr-defined]

    def on_speech_delivery(self, message: SpeechDelivery) -> None:
        text = Text("Delivery (spoken answer)\n", style="bold")
        text.append("\n".join(message.delivery.lines()))
        self.query_one("#delivery", Static).update(text)  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        self.stop_speaking()

    def stop_speaking(self) -> None:
        if self.recorder is not None:
            self.recorder.stop()
            self.recorder = None
        if self.transcriber is not None:
            self.transcriber.close()
            self.transcriber = None

