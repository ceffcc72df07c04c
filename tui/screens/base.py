"""The screens' common base: background work that fails becomes a notification, never a crash."""

from __future__ import annotations

from textual.screen import Screen
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
