"""The Textual app. Screens stay thin: they show what `coach` and `models` compute."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown
from textual.worker import Worker

from models.errors import CoachError
from models.registry import Manifest
from models.store import VERIFIED, human_bytes
from tui.context import AppContext
from tui.screens.base import report_worker_error
from tui.screens.bench import BenchScreen
from tui.screens.decode import DecodeScreen
from tui.screens.gaps import GapsScreen
from tui.screens.home import HomeScreen
from tui.screens.interview import InterviewScreen
from tui.screens.models import ModelsScreen
from tui.screens.stories import StoriesScreen
from tui.widgets import ModelPanel

T = TypeVar("T")

HELP = """\
# coach — keys

| key | what |
|---|---|
| **F1** | this help |
| **F2** | Home: today's checklist, progress, recent work |
| **F3** | Decode a job description |
| **F4** | Gaps: your competency matrix |
| **F5** | Stories: your story bank |
| **F6** | Interview: a mock interview |
| **F7** | Models |
| **F8** | Bench: measure the model on this machine |
| **Ctrl+B** | on Home (or **b**) and Decode: the morning-of brief of the JD; **e** in it exports .md and .html |
| **Esc** | stop what the model is writing (within a token) |
| **Ctrl+P** | every action, searchable |
| **Ctrl+Q** | quit |

In the Decode and Interview screens, **Ctrl+R** runs the screen's main action and
**Ctrl+S** submits. Text is selectable with the mouse (Shift+drag in most terminals), and
**F9** copies the question and feedback (Interview) or the read (Decode) to the clipboard
(Ctrl+Y too, outside a text box: in one it is redo).
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]
    DEFAULT_CSS = "HelpScreen { align: center middle; } HelpScreen > Markdown { width: 76; height: auto; " \
                  "border: round $primary; background: $surface; }"

    def compose(self) -> ComposeResult:
        yield Markdown(HELP)


class CoachApp(App[None]):
    TITLE = "coach"
    SUB_TITLE = "offline interview coach"
    CSS = """
    Screen { padding: 0 1; }
    .card { border: round $panel; padding: 0 1; margin-bottom: 1; height: auto; }
    #welcome { margin: 1 0; }
    """
    BINDINGS = [
        # priority: a focused TextArea binds F6/F7 itself (select line/all); screen keys win.
        Binding("f1", "help", "Help", priority=True),
        Binding("f2", "switch_mode('home')", "Home", priority=True),
        Binding("f3", "switch_mode('decode')", "Decode", priority=True),
        Binding("f4", "switch_mode('gaps')", "Gaps", priority=True),
        Binding("f5", "switch_mode('stories')", "Stories", priority=True),
        Binding("f6", "switch_mode('interview')", "Interview", priority=True),
        Binding("f7", "switch_mode('models')", "Models", priority=True),
        Binding("f8", "switch_mode('bench')", "Bench", priority=True),
    ]

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.model_status = ""
        super().__init__()

    MODES = {"home": HomeScreen, "decode": DecodeScreen, "gaps": GapsScreen, "stories": StoriesScreen,
             "interview": InterviewScreen, "models": ModelsScreen, "bench": BenchScreen}

    def on_mount(self) -> None:
        self.switch_mode("home")
        self.prepare_model()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, title, what in [
            ("home", "Home", "today's checklist, progress, recent work"),
            ("decode", "Decode a job description", "clusters, verbs, level, flavor, the model's read"),
            ("gaps", "Gaps", "your competency matrix and this week's priorities"),
            ("stories", "Stories", "your story bank, links and retargeting"),
            ("interview", "Interview", "a mock interview with rubric scoring"),
            ("models", "Models", "list, verify, choose, materialise"),
            ("bench", "Bench", "measure the active model on this machine"),
        ]:
            yield SystemCommand(title, what, lambda mode=mode: self.switch_mode(mode))
        yield SystemCommand("Help", "every key", self.action_help)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    # -- the model, prepared off the UI thread -------------------------------------------------
    @property
    def model_loading(self) -> bool:
        return any(w.group == "model" and not w.is_finished for w in self.workers)

    def switch_model(self, manifest: Manifest) -> bool:
        """Make `manifest` the coach's model: the jobs using the old one stop, it closes once they
        have ended (off the UI thread), then the new one loads. False while a load is under way."""
        if self.model_loading:
            return False
        self.ctx.manifest = manifest
        self.show_model_stage(f"Loading {manifest.name}…", True)
        self.prepare_model()
        return True

    @work(thread=True, exit_on_error=False, exclusive=True, group="model")
    def prepare_model(self) -> None:
        """Materialise (first run), verify and load the active model; then the embedder."""
        ctx = self.ctx
        ctx.retire_model()  # a switch: the old model closes once no job holds it
        last = [0.0]

        def on_progress(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            if not total or now - last[0] > 0.1 or done >= total:  # batch UI updates
                last[0] = now
                text = f"{stage}… {human_bytes(done)} of {human_bytes(total)}" if total else f"{stage}…"
                self.call_from_thread(self.show_model_stage, text, True, done, total)

        try:
            t0 = time.perf_counter()
            model = at_low_priority(ctx.model_factory, ctx.store, ctx.manifest, on_progress)
            ctx.model = model
            seconds = time.perf_counter() - t0
            label = "sha256 verified" if ctx.store.status(ctx.manifest) == VERIFIED else ctx.store.status(ctx.manifest)
            self.call_from_thread(self.show_model_stage, f"Status: ready ({label}; loaded in {seconds:.1f}s, "
                                  f"context {model.n_ctx} tokens)", False)
        except CoachError as exc:
            self.call_from_thread(self.show_model_stage, f"Status: not available — {exc}", False)
            self.call_from_thread(self.notify, str(exc), title="Model", severity="error", timeout=10)
        self.call_from_thread(self.load_embedder)

    @work(thread=True, exit_on_error=False, exclusive=True, group="embedder")
    def load_embedder(self) -> None:
        """In a thread of normal priority: the embedder's own threads inherit it."""
        self.ctx.get_embedder()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Any error in the app's own background work becomes a notification (screens do the same)."""
        report_worker_error(self.screen, event)

    def show_model_stage(self, text: str, busy: bool, done: int = 0, total: int = 0) -> None:
        self.model_status = text
        state = "ready" if text.startswith("Status: ready") else "not available" if "not available" in text else "loading"
        self.sub_title = f"{self.ctx.manifest.name} · {state}"
        for panel in self.query_all_panels():
            panel.show_stage(text, busy, done, total)

    def query_all_panels(self) -> list[ModelPanel]:
        panels = []
        for stack in self._screen_stacks.values():
            for screen in stack:
                panels += list(screen.query(ModelPanel))
        return panels

    def on_unmount(self) -> None:
        self.ctx.close()


def at_low_priority(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn` in a fresh thread of lower priority and wait for it. Hashing and loading a model take
    every core they get, and on a two-core laptop the UI thread then waits seconds for a key. On
    Linux a thread has its own nice value, inherited by the threads it starts; the pool threads that
    run the app's other work never get it (an unprivileged process cannot raise it back)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        if sys.platform == "linux":
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
            except OSError:
                pass
        try:
            outcome["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="coach-low-priority", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def build_app(*, ctx: AppContext | None = None) -> CoachApp:
    """The app factory: tests pass a context with a temporary store and a fake model."""
    if ctx is None:
        from coach.modelchoice import active_model
        from coach.storage import open_db
        from models.datadir import models_dir
        from models.store import ModelStore

        store = ModelStore(models_dir=models_dir())
        db = open_db()
        ctx = AppContext(store=store, db=db, manifest=active_model(db, store.registry))
    return CoachApp(ctx)
