"""Interview: question streaming, a multi-line answer box, the rubric, feedback, where you are."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Footer, Header, Input, Select, Static, TextArea

from coach import interview as iv
from coach.feedback import FeedbackText
from coach.jds import list_jds
from coach.rubric import RubricResult
from coach.services import interviewing as flow
from models.errors import CoachError
from tui.context import Batcher
from tui.recording import RecordingBar, SpeakingMixin
from tui.screens.base import CoachScreen, ConfirmScreen
from tui.widgets import StreamView, jd_options


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word with an ellipsis: a number is never cut in half."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def rubric_text(rubric: RubricResult) -> Text:
    """The score and its rubric: each criterion with the sentence that earned it, flags, what moved the grade."""
    out = Text()
    out.append(f"Score {rubric.overall}/5", style="bold")
    out.append(f"  ({rubric.kind.replace('_', ' ')} rubric; fitted grade {rubric.expected:.1f})\n")
    for criterion in rubric.criteria:
        out.append(f"{criterion.label} {criterion.score}/2", style="bold" if criterion.score else "dim")
        if criterion.evidence:
            out.append(f"  “{clip(criterion.evidence[0].text, 90)}”")
        out.append("\n")
    if rubric.level_signal["value"]:
        out.append(f"Level signal: {rubric.level_signal['value']} — {rubric.level_signal['why']}\n")
    for flag in rubric.red_flags:
        if flag["certain"]:
            out.append(f"Red flag: {flag['label']} (“{clip(flag['quote'], 90)}”)\n", style="red")
        else:
            out.append(f"Possible red flag ({flag['probability']:.0%}): {flag['label']} (“{clip(flag['quote'], 80)}”)\n",
                       style="yellow")
    if rubric.set_aside:
        out.append(f"Set aside (addressed to the grader): “{clip(rubric.set_aside[0].text, 90)}”\n", style="yellow")
    if rubric.drivers:
        out.append("Why: " + "; ".join(f"{label} {value:+.1f}" for label, value in rubric.drivers[:4]) + "\n",
                   style="dim")
    return out


WRITING_QUESTION = "The coach is writing this question for your JD… (Esc asks the bank's question now)"


class InterviewScreen(SpeakingMixin, CoachScreen):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit answer"),
        Binding("ctrl+n", "next", "Next question"),
        Binding("ctrl+r", "start", "Start"),
        Binding("escape", "cancel", "Stop the model"),
        # F9 too: in the answer box (where focus usually is) Ctrl+Y is the text area's redo.
        Binding("f9,ctrl+y", "copy", "Copy question + feedback", key_display="F9"),
        Binding("ctrl+t", "speak", "Speak / stop"),
        Binding("ctrl+o", "keep_audio(True)", "Keep recordings: off"),  # shown while off (tui.recording)
        Binding("ctrl+o", "keep_audio(False)", "Keep recordings: on"),
    ]
    DEFAULT_CSS = """
    InterviewScreen #setup { height: auto; }
    InterviewScreen #jd-select { width: 2fr; }
    InterviewScreen #count { width: 12; }
    InterviewScreen #where { text-style: bold; margin-top: 1; }
    InterviewScreen #question { border: round $primary; }
    InterviewScreen #answer { height: 8; }
    InterviewScreen #rubric, InterviewScreen #feedback { border: round $panel; height: auto; }
    InterviewScreen #delivery { height: auto; padding: 0 1; }
    """

    # -- what the workers tell the screen ---------------------------------------------------------
    @dataclass
    class Started(Message):
        session: flow.Session
        note: str = ""

    @dataclass
    class QuestionEvent(Message):
        event: flow.QuestionEvent

    @dataclass
    class Scored(Message):
        rubric: RubricResult

    @dataclass
    class FeedbackPiece(Message):
        text: str

    @dataclass
    class ScoringDone(Message):
        error: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.session: flow.Session | None = None
        self.turn: iv.Turn | None = None
        self.scoring = False  # Ctrl+S while an answer is being scored does nothing
        self.answered_idx: int | None = None
        self.cancels: dict[str, threading.Event] = {}
        self.warm_timer: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="setup"):
            yield Select([], prompt="Job description", id="jd-select")
            yield Input("5", id="count", type="integer", placeholder="questions")
            yield Button("Start (Ctrl+R)", id="start", variant="primary")
        with VerticalScroll():
            yield Static("Choose a decoded job description and start, or resume below.", id="where", markup=False)
            yield StreamView(id="question")
            yield TextArea(id="answer", soft_wrap=True, show_line_numbers=False,
                           placeholder="Your answer, as you would say it. Ctrl+S submits.")
            yield RecordingBar(id="recording")
            yield Static(id="rubric", markup=False)
            yield Static(id="delivery", markup=False)
            yield StreamView(id="feedback")
        yield Footer()

    @property
    def interview_id(self) -> int | None:
        return None if self.session is None else self.session.interview_id

    def new_cancel(self, job: str) -> threading.Event:
        """One cancel event per job, made on the UI thread as the job starts: Esc stops what runs now,
        never the next job, and an Esc pressed before the worker begins still counts."""
        event = threading.Event()
        self.cancels[job] = event
        return event

    def on_mount(self) -> None:
        self.refresh_choices()
        active = iv.active_interviews(self.app.ctx.db)
        if active:
            self.resume_worker(active[0]["id"], self.new_cancel("question"))

    def on_screen_resume(self) -> None:
        self.refresh_choices()
        self.keeps_audio = None  # read again: `coach keep-audio` may have changed it meanwhile

    def refresh_choices(self) -> None:
        options = jd_options(list_jds(self.app.ctx.db))
        select = self.query_one("#jd-select", Select)
        select.set_options(options)
        if options and not isinstance(select.value, int):
            select.value = options[0][1]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_start()

    def action_cancel(self) -> None:
        for event in self.cancels.values():
            event.set()

    def action_copy(self) -> None:
        question = self.query_one("#question", StreamView).text
        feedback = self.query_one("#feedback", StreamView).text
        self.app.copy_to_clipboard(f"{question}\n\n{feedback}".strip())
        self.notify("Copied the question and feedback")

    def action_start(self) -> None:
        jd_id = self.query_one("#jd-select", Select).value
        if not isinstance(jd_id, int):
            self.notify("Decode a job description first (F3)", severity="warning")
            return
        try:
            count = max(1, min(20, int(self.query_one("#count", Input).value or "5")))
        except ValueError:
            count = 5
        self.start_worker(int(jd_id), count, self.new_cancel("question"))

    # -- workers: they compute and post; the handlers below touch the widgets ---------------------
    @work(thread=True, exit_on_error=False, exclusive=True, group="interview")
    def start_worker(self, jd_id: int, count: int, cancel: threading.Event) -> None:
        ctx = self.app.ctx
        session = flow.start(ctx.db, jd_id, n=count, embedder=ctx.get_embedder())
        self.post_message(self.Started(session))
        self.ask(session, cancel)

    @work(thread=True, exit_on_error=False, exclusive=True, group="interview")
    def resume_worker(self, interview_id: int, cancel: threading.Event) -> None:
        ctx = self.app.ctx
        session, rescored = flow.resume(ctx.db, interview_id, embedder=ctx.get_embedder())
        note = f"{rescored} stored answer(s) scored on resume" if rescored else ""
        self.post_message(self.Started(session, note))
        self.ask(session, cancel)

    def ask(self, session: flow.Session, cancel: threading.Event) -> None:
        """From a worker: stream the next question, batched."""
        ctx = self.app.ctx
        batcher = Batcher(lambda piece: self.post_message(self.QuestionEvent(flow.QuestionText(piece))))
        with ctx.model_job(cancel) as model:
            # The prefetcher asks a question it prepared at once, and prepares the next while the user answers.
            for event in flow.ask_next(ctx.db, session, model=model, embedder=ctx.get_embedder(), cancel=cancel,
                                       prefetch=ctx.prefetcher()):
                if isinstance(event, flow.QuestionText):
                    batcher.add(event.text)
                    continue
                batcher.flush()
                self.post_message(self.QuestionEvent(event))

    @on(TextArea.Changed, "#answer")
    def answer_changed(self) -> None:
        # A second after typing pauses, the model reads the answer so far in the background: after submit, the
        # feedback then evaluates only what was typed since (issue 12).
        if self.warm_timer is not None:
            self.warm_timer.stop()
        self.warm_timer = self.set_timer(1.0, self.warm_answer)

    def warm_answer(self) -> None:
        if self.session is not None and self.turn is not None and not self.scoring:
            self.warm_worker(self.session, self.turn, self.query_one("#answer", TextArea).text)

    @work(thread=True, exit_on_error=False, group="warm")
    def warm_worker(self, session: flow.Session, turn: iv.Turn, text: str) -> None:
        ctx = self.app.ctx
        prefetch, model = ctx.prefetcher(), ctx.model
        if prefetch is not None and model is not None:
            flow.warm_answer(session, turn, text, model=model, prefetch=prefetch)

    @on(Started)
    def show_started(self, message: Started) -> None:
        self.session = message.session
        if message.note:
            self.notify(message.note)

    @on(QuestionEvent)
    def show_question(self, message: QuestionEvent) -> None:
        event = message.event
        view = self.query_one("#question", StreamView)
        if isinstance(event, flow.QuestionStarted):
            self.turn = event.turn
            self.answered_idx = None
            self.query_one("#rubric", Static).update("")
            self.query_one("#delivery", Static).update("")
            self.query_one("#feedback", StreamView).set_text("")
            self.query_one("#answer", TextArea).clear()
            self.query_one("#where", Static).update(
                f"Interview {self.interview_id} · question {event.number} of {event.total} · {event.competency}")
            # Until the first word comes (seconds on a busy CPU), say what is happening, not an empty box.
            view.set_text(WRITING_QUESTION)
        elif isinstance(event, flow.QuestionText):
            if view.text == WRITING_QUESTION:
                view.set_text(event.text)
            else:
                view.append(event.text)
        elif isinstance(event, flow.QuestionReady):
            self.turn = event.turn
            view.set_text(event.turn.text)
            self.query_one("#answer", TextArea).focus()  # what the user types or pastes next is their answer
        elif isinstance(event, flow.InterviewDone):
            self.turn = None
            self.query_one("#where", Static).update("Interview complete. F2 shows your progress and next drills.")
            view.set_text("")

    def action_submit(self) -> None:
        if self.turn is None or self.session is None:
            self.notify("Start an interview first", severity="warning")
            return
        if self.scoring or self.answered_idx == self.turn.idx:
            self.notify("This answer is submitted; Ctrl+N moves to the next question", severity="warning")
            return
        answer = self.query_one("#answer", TextArea).text
        if not answer.strip():
            self.app.push_screen(ConfirmScreen("Your answer is empty. Submit it anyway (it will score 1/5)?"),
                                 lambda yes: self.submit(answer) if yes else None)
            return
        self.submit(answer)

    def submit(self, answer: str) -> None:
        assert self.turn is not None and self.session is not None
        try:
            # Stored now, before anything else can go wrong.
            answer_id = flow.submit(self.app.ctx.db, self.session, self.turn, answer)
        except CoachError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.scoring = True
        self.answered_idx = self.turn.idx
        self.query_one("#feedback", StreamView).set_text("")
        self.score_worker(answer_id, self.turn, answer, self.new_cancel("score"))

    @work(thread=True, exit_on_error=False, exclusive=True, group="score")
    def score_worker(self, answer_id: int, turn: iv.Turn, answer: str, cancel: threading.Event) -> None:
        ctx = self.app.ctx
        batcher = Batcher(lambda piece: self.post_message(self.FeedbackPiece(piece)))
        current = None
        error = None
        try:
            with ctx.model_job(cancel) as model:
                for event in flow.score(ctx.db, answer_id=answer_id, turn=turn, answer=answer,
                                        embedder=ctx.get_embedder(), model=model, cancel=cancel,
                                        session=self.session, prefetch=ctx.prefetcher()):
                    if isinstance(event, RubricResult):
                        self.post_message(self.Scored(event))
                        self.deliver(answer_id, turn.idx, event)  # a spoken answer's delivery, stored with it
                    elif isinstance(event, FeedbackText):
                        if event.slot != current:
                            batcher.add(("\n" if current else "") + f"{event.slot.title}: ")
                            current = event.slot
                        batcher.add(event.text)
                        # Each piece is a whole sentence (or the rubric's words): show it now. Held for the next
                        # one, the score's own parts and a drafted follow-up waited seconds for the model.
                        batcher.flush()
        except CoachError as exc:
            error = str(exc)
        batcher.flush()
        self.post_message(self.ScoringDone(error))

    @on(Scored)
    def show_score(self, message: Scored) -> None:
        self.query_one("#rubric", Static).update(rubric_text(message.rubric))

    @on(FeedbackPiece)
    def show_feedback(self, message: FeedbackPiece) -> None:
        self.query_one("#feedback", StreamView).append(message.text)

    @on(ScoringDone)
    def scoring_done(self, message: ScoringDone) -> None:
        self.scoring = False
        if message.error:
            self.notify(message.error, severity="error")
        self.query_one("#feedback", StreamView).append("\nCtrl+N for the next question.")

    def action_next(self) -> None:
        if self.session is None:
            self.notify("Start an interview first (Ctrl+R)", severity="warning")
            return
        if self.scoring:
            self.notify("Still scoring this answer", severity="warning")
            return
        self.next_worker(self.session, self.new_cancel("question"))

    @work(thread=True, exit_on_error=False, exclusive=True, group="interview")
    def next_worker(self, session: flow.Session, cancel: threading.Event) -> None:
        self.ask(session, cancel)
