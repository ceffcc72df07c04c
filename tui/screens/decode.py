"""Decode: paste or open a JD; verbs and cluster spans highlighted; weights, level, flavor; the model's read."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Footer, Header, Input, Static, TextArea

from coach.decode import Decode
from coach.read import ReadNotice, SlotDone, SlotStarted, SlotText, stream_read
from coach.render import flavor_line, level_line
from coach.services.decoding import decode_and_save
from coach.services.interviewing import prepare_first_question
from coach.textfiles import read_text_file
from models.errors import CoachError
from models.runtime import TextModel
from tui.context import Batcher
from tui.screens.base import CoachScreen
from tui.screens.brief import BriefScreen
from tui.widgets import StreamView, bar

CLUSTER_STYLES = ["on dark_green", "on dark_blue", "on dark_magenta", "on dark_red", "on grey37", "on dark_cyan",
                  "on orange4"]


def highlighted(result: Decode) -> Text:
    """The JD with each top cluster's spans on its colour and the action verbs bold and underlined."""
    text = Text(result.text)
    for rank, cluster in enumerate(result.clusters):
        for start, end in cluster.spans:
            text.stylize(CLUSTER_STYLES[rank % len(CLUSTER_STYLES)], start, end)
    for verb in result.verbs:
        for start, end in verb.spans:
            text.stylize("bold underline", start, end)
    return text


def summary(result: Decode) -> Text:
    """The decode's figures. Cluster names are never cut ("System design & architec" reads as something
    else): each line starts with the bar and weight, so a long name wraps whole in a narrow panel."""
    out = Text()
    if not result.clusters:
        for note in result.notes:
            out.append(note + "\n", style="yellow")
        return out
    top = result.clusters[0].weight
    out.append("Clusters by weight\n", style="bold")
    for rank, cluster in enumerate(result.clusters):
        out.append("■ ", style=CLUSTER_STYLES[rank % len(CLUSTER_STYLES)].replace("on ", ""))
        out.append(f"{bar(cluster.weight, top, 8)} {cluster.weight:<3g} {cluster.name}\n")
    out.append("\nVerbs: ", style="bold")
    out.append(", ".join(v.verb for v in result.verbs) or "none")
    out.append("\nLevel: ", style="bold")
    out.append(level_line(result.level), style="bold cyan")
    out.append(f" — {result.level.reason}\n")
    out.append("Flavor: ", style="bold")
    out.append(flavor_line(result.flavor) + "\n", style="bold cyan")
    if result.flavor.evidence:
        out.append("  because: " + ", ".join(f"“{e.text}”" for e in result.flavor.evidence[:5]) + "\n", style="dim")
    for note in result.notes:
        out.append("\n" + note + "\n", style="yellow")
    return out


WRITING_READ = "The model is writing its read… (Esc stops it; the decode above is complete without it)"


class DecodeScreen(CoachScreen):
    BINDINGS = [
        Binding("ctrl+r", "decode", "Decode"),
        Binding("escape", "cancel", "Stop the model"),
        Binding("ctrl+o", "focus_path", "Open a file"),
        # F9 too: in the JD box Ctrl+Y is the text area's redo.
        Binding("f9,ctrl+y", "copy", "Copy the read", key_display="F9"),
        Binding("ctrl+b", "brief", "Brief"),
    ]
    DEFAULT_CSS = """
    DecodeScreen #input-row { height: auto; }
    DecodeScreen #jd-input { height: 8; }
    DecodeScreen.decoded #jd-input { height: 3; }
    DecodeScreen #path { width: 1fr; }
    DecodeScreen #results { height: 1fr; }
    DecodeScreen #jd-view { width: 3fr; border: round $panel; }
    DecodeScreen #side { width: 2fr; }
    DecodeScreen #summary, DecodeScreen #read { border: round $panel; height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.result: Decode | None = None
        self.jd_id: int | None = None  # the saved JD of the decode shown (None: not saved, nothing to brief)
        self.cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield Header()
        yield TextArea(id="jd-input", soft_wrap=True, show_line_numbers=False,
                       placeholder="Paste a job description here, or open a file below; Ctrl+R decodes it.")
        with Horizontal(id="input-row"):
            yield Input(placeholder="…or a file path", id="path")
            yield Button("Decode (Ctrl+R)", id="go", variant="primary")
        with Horizontal(id="results"):
            with VerticalScroll(id="jd-view"):
                yield Static(id="jd-text", markup=False)
            with VerticalScroll(id="side"):
                yield Static(id="summary", markup=False)
                with Vertical(id="read"):
                    yield Static("The coach's read", classes="title")
                    yield StreamView(id="read-text")
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "go":
            self.action_decode()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_decode()

    def action_focus_path(self) -> None:
        self.query_one("#path", Input).focus()

    def action_cancel(self) -> None:
        self.cancel.set()  # this job's own: the next decode gets a new one

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.query_one("#read-text", StreamView).text)
        self.notify("Copied the coach's read")

    def action_brief(self) -> None:
        if self.jd_id is None:
            self.notify("Decode a job description first (Ctrl+R): the brief is of the decode shown.",
                        severity="warning")
            return
        self.app.push_screen(BriefScreen(self.jd_id))

    def action_decode(self) -> None:
        text = self.query_one("#jd-input", TextArea).text
        path = self.query_one("#path", Input).value.strip()
        if path:
            try:
                text = read_text_file(path)
            except CoachError as exc:
                self.notify(str(exc), severity="error")
                return
            self.query_one("#jd-input", TextArea).load_text(text)
        self.cancel = threading.Event()  # made here, not in the worker: an Esc pressed at once still counts
        self.run_decode(text, self.cancel)

    @dataclass
    class Decoded(Message):
        result: Decode
        jd_id: int | None = None

    @dataclass
    class ReadPiece(Message):
        text: str
        reset: bool = False

    @work(thread=True, exit_on_error=False, exclusive=True, group="decode")
    def run_decode(self, text: str, cancel: threading.Event) -> None:
        ctx = self.app.ctx
        try:
            decoded = decode_and_save(ctx.db, text, embedder=ctx.get_embedder())
        except CoachError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.post_message(self.Decoded(decoded.decode, decoded.jd.id if decoded.jd else None))
        self.stream_model_read(decoded.decode, cancel)
        prefetch = ctx.prefetcher()
        if prefetch is not None and decoded.jd is not None and decoded.decode.clusters and not cancel.is_set():
            # While the user reads the decode, question 1 of an interview on it is written in the background.
            prepare_first_question(ctx.db, decoded.jd.id, decoded.decode, n=5, embedder=ctx.get_embedder(),
                                   prefetch=prefetch)

    @on(Decoded)
    def show_decode(self, message: Decoded) -> None:
        result = message.result
        self.result = result
        self.jd_id = message.jd_id
        self.query_one("#jd-text", Static).update(highlighted(result))
        self.query_one("#summary", Static).update(summary(result))
        self.query_one("#read-text", StreamView).set_text(WRITING_READ)
        self.set_class(bool(result.clusters), "decoded")  # the input shrinks: the highlighted JD is what is read

    @on(ReadPiece)
    def show_read(self, message: ReadPiece) -> None:
        view = self.query_one("#read-text", StreamView)
        if message.reset or view.text == WRITING_READ:
            view.set_text(message.text)
        else:
            view.append(message.text)

    def stream_model_read(self, result: Decode, cancel: threading.Event) -> None:
        """From the worker: the model's read, streamed in batches after the deterministic decode."""
        with self.app.ctx.model_job(cancel) as model:
            if model is None:
                self.post_message(self.ReadPiece("(the model is not loaded yet: the decode above is complete "
                                                 "without it)", reset=True))
                return
            self.read_with(model, result, cancel)

    def read_with(self, model: TextModel, result: Decode, cancel: threading.Event) -> None:
        batcher = Batcher(lambda piece: self.post_message(self.ReadPiece(piece)))
        try:
            for event in stream_read(model, result, cancel=cancel):
                if isinstance(event, ReadNotice):
                    batcher.add(f"Note: {event.text}\n")
                elif isinstance(event, SlotStarted):
                    batcher.add(f"{event.slot.title}: ")
                elif isinstance(event, SlotText):
                    batcher.add(event.text)
                elif isinstance(event, SlotDone):
                    batcher.add("\n\n")
        except CoachError as exc:
            batcher.add(f"\n(the model stopped: {exc})")
        batcher.flush()
        if cancel.is_set():
            self.post_message(self.ReadPiece("\n(stopped)"))
