"""The morning-of brief of one saved JD, over the screen that asked for it; e exports it (.md and .html)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static
from textual.worker import Worker

from coach.brief import Brief
from coach.brief_render import brief_markdown
from coach.services.briefing import brief_for, export_brief, needs_embedder
from models.datadir import data_dir
from models.errors import CoachError
from tui.screens.base import report_worker_error


class BriefScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "dismiss", "Close"), Binding("e", "export", "Export .md and .html")]
    DEFAULT_CSS = """
    BriefScreen { align: center middle; }
    BriefScreen > Vertical { width: 96%; height: 94%; border: round $primary; background: $surface; }
    BriefScreen #brief-scroll { height: 1fr; }
    BriefScreen #brief-keys { height: 1; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, jd_id: int) -> None:
        super().__init__()
        self.jd_id = jd_id
        self.brief: Brief | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll(id="brief-scroll"):
                # The brief escapes the user's text for Markdown: a JD's "[b]" or "**" shows as typed.
                yield Markdown("Building the brief…", id="brief")
            yield Static("e: export Markdown and a printable HTML page · Esc: close", id="brief-keys", markup=False)

    def on_mount(self) -> None:
        self.build()

    @dataclass
    class Built(Message):
        brief: Brief

    @work(thread=True, exit_on_error=False, exclusive=True, group="brief")
    def build(self) -> None:
        ctx = self.app.ctx
        embedder = ctx.get_embedder() if needs_embedder(ctx.db, self.jd_id) else None
        self.post_message(self.Built(brief_for(ctx.db, self.jd_id, embedder=embedder)))

    @on(Built)
    async def show(self, message: Built) -> None:
        self.brief = message.brief
        await self.query_one("#brief", Markdown).update(brief_markdown(message.brief))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    def action_export(self) -> None:
        if self.brief is None:
            self.notify("The brief is still being built", severity="warning")
            return
        try:
            md_path, html_path = export_brief(self.brief, data_dir() / "exports")
        except CoachError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(f"Wrote {md_path} and {html_path.name}", title="Brief exported", markup=False, timeout=10)
