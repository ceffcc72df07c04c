"""Small widgets the screens share. User and model text is always rendered as text, never markup."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from models.registry import Manifest
from models.store import human_bytes


class StreamView(Static):
    """Text that grows as a model streams; appended in batches by a Batcher."""

    DEFAULT_CSS = "StreamView { height: auto; padding: 0 1; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self.text = ""

    def append(self, piece: str) -> None:
        self.text += piece
        self.update(Text(self.text))

    def set_text(self, text: str) -> None:
        self.text = text
        self.update(Text(text))


def jd_options(jds: list) -> list[tuple[Text, int]]:
    """Select options for saved JDs: their titles are user text, so never markup."""
    return [(Text(f"#{jd.id} {jd.title}"[:70]), jd.id) for jd in jds]


def bar(weight: float, top: float, width: int = 12) -> str:
    filled = 0 if top <= 0 else round(width * weight / top)
    return "█" * filled + "░" * (width - filled)


class ModelPanel(Vertical):
    """What the coach runs on: the active model, its state, and progress while it gets ready."""

    DEFAULT_CSS = """
    ModelPanel { height: auto; border: round $primary; padding: 0 1; margin-bottom: 1; }
    ModelPanel #model-name { text-style: bold; }
    ModelPanel ProgressBar { display: none; }
    ModelPanel.busy ProgressBar { display: block; }
    """

    def __init__(self, manifest: Manifest, status: str) -> None:
        super().__init__(id="model-panel")
        self.manifest = manifest
        self.status = status

    def compose(self) -> ComposeResult:
        m = self.manifest
        size = human_bytes(m.size) if m.size else "?"
        yield Static(f"Active model: {m.name}", id="model-name", markup=False)
        yield Static(f"{m.id} · {m.quantization} · {size} · {m.license}", id="model-facts", markup=False)
        yield Static(getattr(self.app, "model_status", "") or f"Status: {self.status}", id="model-status", markup=False)
        yield ProgressBar(id="model-progress", show_eta=True)

    def show_stage(self, text: str, busy: bool, done: int = 0, total: int = 0) -> None:
        self.query_one("#model-status", Static).update(text)
        self.set_class(busy, "busy")
        if busy:  # a stage with no byte count (loading into memory) shows an indeterminate bar, not the last 100%
            self.query_one(ProgressBar).update(total=total or None, progress=done)
