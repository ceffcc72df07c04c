"""Gaps: the editable competency matrix for a decoded JD, and this week's priorities."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input, Select, Static

from coach.jds import list_jds
from coach.matrix import build_matrix, evidence_text, matrix_markdown, set_row
from coach.services.decoding import load_decode
from models.datadir import data_dir
from tui.screens.base import CoachScreen
from tui.widgets import jd_options


class GapsScreen(CoachScreen):
    BINDINGS = [Binding(str(n), f"rate({n})", f"Confidence {n}", show=n in (1, 5)) for n in range(1, 6)] + [
        Binding("e", "export", "Export Markdown"),
        Binding("enter", "edit", "Edit evidence", show=False),
        Binding("0,6,7,8,9", "off_scale", show=False),
    ]
    DEFAULT_CSS = "GapsScreen #matrix { height: auto; max-height: 20; } GapsScreen #priorities { margin: 1 0; }"

    def __init__(self) -> None:
        super().__init__()
        self.rows = []
        self.jd = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Select([], prompt="Job description", id="jd-select")
        yield DataTable(id="matrix", cursor_type="row")
        yield Input(placeholder="Evidence for the selected competency; Enter saves", id="evidence")
        yield Static(id="priorities", markup=False)
        yield Static("Keys 1–5 rate your confidence in the selected row; e exports the matrix as Markdown. "
                     "Priority = JD weight × (5 − confidence).", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("competency", "weight", "my evidence", "confidence", "priority", "")
        self.on_screen_resume()

    def on_screen_resume(self) -> None:
        options = jd_options(list_jds(self.app.ctx.db))
        select = self.query_one(Select)
        select.set_options(options)
        if options:
            select.value = self.jd.id if self.jd else options[0][1]

    def on_select_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, int):
            self.load(int(event.value))

    @work(thread=True, exit_on_error=False, exclusive=True, group="gaps")
    def load(self, jd_id: int) -> None:
        ctx = self.app.ctx
        loaded = load_decode(ctx.db, jd_id, embedder=ctx.get_embedder())
        self.jd, self.decoded = loaded.jd, loaded.decode
        self.app.call_from_thread(self.refresh_matrix)

    def refresh_matrix(self) -> None:
        if self.jd is None:
            return
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        self.rows = build_matrix(self.app.ctx.db, self.jd.id, self.decoded)
        for row in self.rows:
            evidence = evidence_text(row) or "—"
            # User text: a Text cell is shown as written, never parsed as markup.
            table.add_row(Text(row.name), f"{row.weight:g}", Text(evidence[:40]), str(row.confidence or "unrated"),
                          f"{row.priority:g}", "← this week" if row.this_week else "", key=row.cluster_id)
        table.move_cursor(row=min(cursor, len(self.rows) - 1))
        top = [r for r in self.rows if r.this_week]
        self.query_one("#priorities", Static).update(
            "This week's priorities: " + (", ".join(r.name for r in top) or "none yet"))

    def current(self):
        table = self.query_one(DataTable)
        return self.rows[table.cursor_row] if self.rows else None

    def action_rate(self, confidence: int) -> None:
        row = self.current()
        if row is None or self.jd is None:
            self.notify("Nothing to rate yet: decode a job description first (F3)", severity="warning")
            return
        set_row(self.app.ctx.db, self.jd.id, row.cluster_id, confidence=confidence)
        self.refresh_matrix()

    def action_off_scale(self) -> None:
        self.notify("Confidence is rated 1 to 5 (seed 000): keys 1–5", severity="warning")

    def action_edit(self) -> None:
        row = self.current()
        if row is not None:
            field = self.query_one("#evidence", Input)
            field.value = row.evidence
            field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        row = self.current()
        if row is not None and self.jd is not None:
            set_row(self.app.ctx.db, self.jd.id, row.cluster_id, evidence=event.value)
            event.input.value = ""
            self.refresh_matrix()
            self.query_one(DataTable).focus()

    def action_export(self) -> None:
        if self.jd is None:
            return
        path = data_dir() / "exports" / f"matrix-{self.jd.id}.md"
        path.parent.mkdir(exist_ok=True, mode=0o700)
        path.write_text(matrix_markdown(self.rows, self.jd.title), encoding="utf-8")
        self.notify(f"Saved {path}")
