"""Interview: question streaming, a multi-line answer box, the rubric, feedback, where you are."""

from __future__ import annotations

import threading

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Header, Input, Select, Static, TextArea

from coach import interview as iv
from coach.decode import decode
from coach.feedback import FeedbackText
from coach.jds import get_jd, list_jds
from coach.matrix import confidences
from coach.questions import load_bank
from coach.rubric import STAR, RubricResult
from coach.taxonomy import load_taxonomy
from models.errors import CoachError
from tui.context import Batcher
from tui.screens.base import CoachScreen
from tui.widgets import StreamView


def rubric_text(rubric: RubricResult) -> Text:
    out = Text()
    out.append(f"Score {rubric.overall}/5", style="bold")
    out.append(f"  ({rubric.points:g} points)\n")
    out.append("STAR  " + "  ".join(f"{e[0].upper()}{e[1:]} {rubric.star[e]}/2" for e in STAR) + "\n")
    spec = rubric.specificity
    out.append(f"Specificity {spec['score']}/4: {', '.join(spec['has']) or 'nothing specific yet'}\n")
    out.append(f"Level signal: {rubric.level_signal['value'] or 'none'} — {rubric.level_signal['why']}\n")
    out.append(f"Relevance to {rubric.competency_name}: {rubric.relevance['score']:.2f}\n")
    for flag in rubric.red_flags:
        out.append(f"Red flag: {flag['label']} (“{flag['quote']}”)\n", style="red")
    out.append("Why: " + " ".join(rubric.rationale[:-1]) + "\n", style="dim")
    return out


class InterviewScreen(CoachScreen):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit answer"),
        Binding("ctrl+n", "next", "Next question"),
        Binding("ctrl+r", "start", "Start"),
        Binding("escape", "cancel", "Stop the model"),
        Binding("ctrl+y", "copy", "Copy question + feedback"),
    ]
    DEFAULT_CSS = """
    InterviewScreen #setup { height: auto; }
    InterviewScreen #jd-select { width: 2fr; }
    InterviewScreen #count { width: 12; }
    InterviewScreen #where { text-style: bold; margin-top: 1; }
    InterviewScreen #question { border: round $primary; }
    InterviewScreen #answer { height: 8; }
    InterviewScreen #rubric, InterviewScreen #feedback { border: round $panel; height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.interview_id: int | None = None
        self.turn: iv.Turn | None = None
        self.decoded = None
        self.cancel = threading.Event()
        self.busy = False

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
            yield Static(id="rubric", markup=False)
            yield StreamView(id="feedback")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_choices()
        active = iv.active_interviews(self.app.ctx.db)
        if active:
            self.resume(active[0]["id"], active[0]["jd_id"])

    def on_screen_resume(self) -> None:
        self.refresh_choices()

    def refresh_choices(self) -> None:
        options = [(f"#{jd.id} {jd.title}"[:70], jd.id) for jd in list_jds(self.app.ctx.db)]
        select = self.query_one("#jd-select", Select)
        select.set_options(options)
        if options and not isinstance(select.value, int):
            select.value = options[0][1]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_start()

    def action_cancel(self) -> None:
        self.cancel.set()

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
        self.start_worker(int(jd_id), count)

    @work(thread=True, exit_on_error=False, exclusive=True, group="interview")
    def start_worker(self, jd_id: int, count: int) -> None:
        ctx = self.app.ctx
        try:
            jd = get_jd(ctx.db, jd_id)
            embedder = ctx.get_embedder()
            decoded = decode(jd.text, embedder=embedder)
            plan = iv.plan_session(decoded, n=count, confidences=confidences(ctx.db, jd_id), embedder=embedder)
            interview_id = iv.start_interview(ctx.db, jd_id=jd_id, decode=decoded, plan=plan)
        except CoachError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.decoded = decoded
        self.interview_id = interview_id
        self.ask_next()

    def resume(self, interview_id: int, jd_id: int | None) -> None:
        self.interview_id = interview_id
        self.resume_worker(jd_id)

    @work(thread=True, exit_on_error=False, exclusive=True, group="interview")
    def resume_worker(self, jd_id: int | None) -> None:
        ctx = self.app.ctx
        if jd_id is not None:
            self.decoded = decode(get_jd(ctx.db, jd_id).text, embedder=ctx.get_embedder())
        iv.rescore_unscored(ctx.db, self.interview_id, ctx.get_embedder())
        self.ask_next()

    def ask_next(self) -> None:
        """From a worker: show where we are and stream the (tailored) question."""
        ctx = self.app.ctx
        turn = iv.next_turn(ctx.db, self.interview_id)
        total = len(iv.turns(ctx.db, self.interview_id))
        self.turn = turn
        call = self.app.call_from_thread
        view = self.query_one("#question", StreamView)
        call(self.query_one("#rubric", Static).update, "")
        call(self.query_one("#feedback", StreamView).set_text, "")
        call(self.query_one("#answer", TextArea).clear)
        if turn is None:
            iv.finish_if_done(ctx.db, self.interview_id)
            call(self.query_one("#where", Static).update, "Interview complete. F2 shows your progress and next drills.")
            call(view.set_text, "")
            return
        name = load_taxonomy().cluster(turn.cluster_id).name
        call(self.query_one("#where", Static).update,
             f"Interview {self.interview_id} · question {turn.idx + 1} of {total} · {name}")
        question = next((q for q in load_bank() if q.id == turn.question_id), None)
        model = ctx.model
        call(view.set_text, "")
        if model is None or question is None or self.decoded is None or turn.text != question.text:
            call(view.set_text, turn.text)
            return
        self.cancel = threading.Event()
        batcher = Batcher(lambda piece: call(view.append, piece))
        pieces = []
        try:
            for token in model.stream(iv.tailor_messages(question, self.decoded), max_tokens=90, stop=["\n"],
                                      cancel=self.cancel):
                pieces.append(token.text)
                batcher.add(token.text)
        except CoachError:
            pieces = []
        batcher.flush()
        tailored = "".join(pieces).strip()
        if iv.accept_tailored(tailored, question, ctx.get_embedder()):
            iv.set_asked(ctx.db, self.interview_id, turn.idx, tailored, True)
            turn.text = tailored
        else:
            iv.set_asked(ctx.db, self.interview_id, turn.idx, question.text, False)
            turn.text = question.text
            call(view.set_text, question.text)

    def action_submit(self) -> None:
        if self.turn is None or self.interview_id is None:
            self.notify("Start an interview first", severity="warning")
            return
        answer = self.query_one("#answer", TextArea).text
        # Stored now, on the UI thread, before anything else can go wrong.
        answer_id = iv.submit_answer(self.app.ctx.db, self.interview_id, self.turn.idx, answer)
        self.score_worker(answer_id, self.turn, answer)

    @work(thread=True, exit_on_error=False, exclusive=True, group="interview")
    def score_worker(self, answer_id: int, turn: iv.Turn, answer: str) -> None:
        ctx = self.app.ctx
        call = self.app.call_from_thread
        view = self.query_one("#feedback", StreamView)
        self.cancel = threading.Event()
        batcher = Batcher(lambda piece: call(view.append, piece))
        current = None
        try:
            for event in iv.score_and_coach(ctx.db, answer_id=answer_id, turn=turn, answer=answer,
                                            embedder=ctx.get_embedder(), model=ctx.model, cancel=self.cancel):
                if isinstance(event, RubricResult):
                    call(self.query_one("#rubric", Static).update, rubric_text(event))
                elif isinstance(event, FeedbackText):
                    if event.slot != current:
                        batcher.add(("\n" if current else "") + f"{event.slot.title}: ")
                        current = event.slot
                    batcher.add(event.text)
        except CoachError as exc:
            call(self.notify, str(exc), severity="error")
        batcher.flush()
        call(view.append, "\nCtrl+N for the next question.")

    def action_next(self) -> None:
        if self.interview_id is not None:
            self.next_worker()

    @work(thread=True, exit_on_error=False, exclusive=True, group="interview")
    def next_worker(self) -> None:
        self.ask_next()
