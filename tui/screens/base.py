"""The screens' common base: background work that fails becomes a notification, never a crash."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from models.errors import CoachError


def report_worker_error(screen: Screen, event: Worker.StateChanged) -> None:
    if event.state == WorkerState.ERROR and event.worker.error is not None:
        error = event.worker.error
        message = str(error) if isinstance(error, CoachError) else f"{type(error).__name__}: {error}"
        screen.app.notify(message, title="Something went wrong", severity="error", timeout=10)


class CoachScreen(Screen):
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; y/Enter says yes, n/Esc says no."""

    BINDINGS = [Binding("y,enter", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 64; height: auto; border: round $warning; background: $surface; padding: 1 2; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False)
            yield Static("y: yes · n: no", markup=False, classes="dim")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
