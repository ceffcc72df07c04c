"""Bench: measure the active model's streaming path here; p50/p95/p99, a latency plot, history."""

from __future__ import annotations

import threading
import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Button, Footer, Header, Sparkline, Static

from coach.services import benchruns
from models.errors import CoachError
from models.fingerprint import fingerprint
from models.measure import measure_stream
from tui.screens.base import CoachScreen


class BenchScreen(CoachScreen):
    BINDINGS = [Binding("ctrl+r", "run", "Run"), Binding("escape", "cancel", "Stop")]
    DEFAULT_CSS = """
    BenchScreen #plot { height: 6; border: round $panel; }
    BenchScreen #figures, BenchScreen #history { border: round $panel; height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static("Generates 128 tokens greedily from an interview prompt with the active model and times "
                         "every token as this app receives it. `coach bench` runs the full acceptance suite.",
                         markup=False)
            yield Button("Run (Ctrl+R)", id="run", variant="primary")
            yield Static(id="figures", markup=False)
            yield Sparkline([0], id="plot")
            yield Static(id="history", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.show_history()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_run()

    def action_cancel(self) -> None:
        self.cancel.set()

    def action_run(self) -> None:
        if self.app.ctx.model is None:
            self.notify("The model is not loaded yet", severity="warning")
            return
        self.query_one("#figures", Static).update("Measuring…")
        self.cancel = threading.Event()  # this run's own: an earlier Esc cannot stop it
        self.run_bench(self.cancel)

    @work(thread=True, exit_on_error=False, exclusive=True, group="bench")
    def run_bench(self, cancel: threading.Event) -> None:
        ctx = self.app.ctx
        with ctx.model_job(cancel) as model:
            if model is None:
                self.app.call_from_thread(self.query_one("#figures", Static).update, "The model is not loaded yet.")
                return
            try:
                result = measure_stream(model, max_tokens=128, cancel=cancel)
            except CoachError as exc:
                self.app.call_from_thread(self.notify, str(exc), severity="error")
                return
            threads = getattr(model, "n_threads", None)
        if cancel.is_set():  # a stopped run measures nothing worth keeping
            self.app.call_from_thread(self.query_one("#figures", Static).update, "Stopped: nothing recorded.")
            return
        sha256 = ctx.manifest.sha256 if ctx.manifest.id == result.model_id else None
        benchruns.record(ctx.db, [{"kind": "app-stream", "model_id": result.model_id, "figures": result.to_dict(),
                                   "fingerprint": fingerprint(model_sha256=sha256, threads=threads)}])
        self.app.call_from_thread(self.show_result, result)

    def show_result(self, result) -> None:
        text = Text()
        text.append(f"{result.model_id}: {result.generated_tokens} tokens, {result.tokens_per_s:.1f} tokens/s\n",
                    style="bold")
        text.append(f"time to first token {result.ttft_s * 1000:.0f} ms ({result.prompt_tokens} prompt tokens, "
                    f"{result.prompt_tokens_per_s:.0f} tokens/s)\n")
        from bench.method import percentiles

        text.append("inter-token latency, 95% intervals (order statistics):\n")
        for estimate in percentiles(result.inter_token_s).values():
            text.append(f"  {estimate.describe(' ms', 1000)}\n", style="" if estimate.supported else "dim")
        self.query_one("#figures", Static).update(text)
        self.query_one("#plot", Sparkline).data = [g * 1000 for g in result.inter_token_s] or [0]
        self.show_history()

    def show_history(self) -> None:
        text = Text("History\n", style="bold")
        runs = benchruns.history(self.app.ctx.db, limit=8)
        for run in runs:
            figures = run.figures
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created_at))
            text.append(f"{when}  {run.model_id:36} p95 {figures.get('p95_ms', float('nan')):7.1f} ms  "
                        f"{figures.get('tokens_per_s', 0):5.1f} tok/s\n")
        if not runs:
            text.append("No runs yet.\n", style="dim")
        self.query_one("#history", Static).update(text)
