"""The Textual app. Screens stay thin: they show what `coach` and `models` compute."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from textual import work
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Footer, Header, ProgressBar, Static

from models.errors import CoachError
from models.registry import Manifest
from models.runtime import TextModel
from models.store import MISSING, VERIFIED, ModelStore, human_bytes

ModelFactory = Callable[[ModelStore, Manifest, Callable[[int, int], None]], TextModel]


def _load_real_model(store: ModelStore, manifest: Manifest, progress: Callable[[int, int], None]) -> TextModel:
    from models.loader import load_text_model

    return load_text_model(store, manifest, progress=progress)


class ModelPanel(Vertical):
    """What the coach runs on: the active model, its state, and progress while it gets ready."""

    DEFAULT_CSS = """
    ModelPanel { height: auto; border: round $primary; padding: 0 1; }
    ModelPanel #model-name { text-style: bold; }
    ModelPanel ProgressBar { display: none; }
    ModelPanel.busy ProgressBar { display: block; }
    """

    @dataclass
    class Progress(Message):
        stage: str
        done: int
        total: int

    @dataclass
    class Ready(Message):
        model: TextModel
        seconds: float

    @dataclass
    class Failed(Message):
        error: str

    def __init__(self, manifest: Manifest, status: str) -> None:
        super().__init__(id="model-panel")
        self.manifest = manifest
        self.status = status

    def compose(self) -> ComposeResult:
        m = self.manifest
        size = human_bytes(m.size) if m.size else "?"
        yield Static(f"Active model: {m.name}", id="model-name", markup=False)
        yield Static(f"{m.id} · {m.quantization} · {size} · {m.license}", id="model-facts", markup=False)
        yield Static(f"Status: {self.status}", id="model-status", markup=False)
        yield ProgressBar(id="model-progress", show_eta=True)

    def show_stage(self, text: str, busy: bool) -> None:
        self.query_one("#model-status", Static).update(text)
        self.set_class(busy, "busy")


class CoachApp(App[None]):
    TITLE = "coach"
    SUB_TITLE = "offline interview coach"
    BINDINGS = [("q", "quit", "Quit")]
    CSS = """
    Screen { padding: 1 2; }
    #welcome { margin-bottom: 1; }
    """

    def __init__(self, *, store: ModelStore, manifest: Manifest, model_factory: ModelFactory) -> None:
        super().__init__()
        self.store = store
        self.manifest = manifest
        self.model_factory = model_factory
        self.model: TextModel | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Decode a job description, find your gaps, keep your stories, practise a mock interview. "
            "Nothing leaves this machine.",
            id="welcome",
        )
        yield ModelPanel(self.manifest, self.store.status(self.manifest))
        yield Footer()

    def on_mount(self) -> None:
        self.prepare_model()

    @work(thread=True, exclusive=True, group="model")
    def prepare_model(self) -> None:
        """Materialise (first run), verify and load the active model, off the UI thread."""
        panel = self.query_one(ModelPanel)
        last = [0.0]

        def report(stage: str) -> Callable[[int, int], None]:
            def progress(done: int, total: int) -> None:
                now = time.monotonic()
                if now - last[0] > 0.1 or done >= total:  # batch UI updates
                    last[0] = now
                    self.call_from_thread(panel.post_message, ModelPanel.Progress(stage, done, total))
            return progress

        try:
            if self.store.status(self.manifest) == MISSING:
                self.store.materialize(self.manifest, report("Materialising the model from its installed packages"))
            t0 = time.perf_counter()
            model = self.model_factory(self.store, self.manifest, report("Verifying sha256"))
            self.call_from_thread(panel.post_message, ModelPanel.Ready(model, time.perf_counter() - t0))
        except CoachError as exc:
            self.call_from_thread(panel.post_message, ModelPanel.Failed(str(exc)))

    def on_model_panel_progress(self, event: ModelPanel.Progress) -> None:
        panel = self.query_one(ModelPanel)
        panel.show_stage(f"{event.stage}… {human_bytes(event.done)} of {human_bytes(event.total)}", busy=True)
        panel.query_one(ProgressBar).update(total=event.total, progress=event.done)

    def on_model_panel_ready(self, event: ModelPanel.Ready) -> None:
        self.model = event.model
        status = self.store.status(self.manifest)
        label = "sha256 verified" if status == VERIFIED else status
        self.query_one(ModelPanel).show_stage(
            f"Status: ready ({label}; loaded in {event.seconds:.1f}s, context {event.model.n_ctx} tokens)", busy=False
        )

    def on_model_panel_failed(self, event: ModelPanel.Failed) -> None:
        self.query_one(ModelPanel).show_stage(f"Status: not available — {event.error}", busy=False)
        self.notify(event.error, title="Model", severity="error", timeout=10)

    def on_unmount(self) -> None:
        if self.model is not None:
            self.model.close()


def build_app(
    *,
    store: ModelStore | None = None,
    manifest: Manifest | None = None,
    model_factory: ModelFactory | None = None,
) -> CoachApp:
    """The app factory: tests pass a store in a temporary directory and a fake model."""
    from coach.modelchoice import active_model
    from coach.storage import open_db
    from models.datadir import models_dir

    store = store or ModelStore(models_dir=models_dir())
    if manifest is None:
        manifest = active_model(open_db(), store.registry)
    return CoachApp(store=store, manifest=manifest, model_factory=model_factory or _load_real_model)


__all__ = ["CoachApp", "build_app"]
