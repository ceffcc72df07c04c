"""What the screens share: the data, the model store, and the models, loaded off the UI thread.

Tests build an AppContext with a temporary data directory and a fake model; the app
never reaches for globals.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from models.embeddings import Embedder
from models.registry import Manifest
from models.runtime import TextModel
from models.store import ModelStore

StageProgress = Callable[[str, int, int], None]
ModelFactory = Callable[[ModelStore, Manifest, StageProgress], TextModel]
EmbedderFactory = Callable[[ModelStore], Embedder | None]


def load_real_model(store: ModelStore, manifest: Manifest, on_progress: StageProgress) -> TextModel:
    from models.loader import prepare_text_model

    return prepare_text_model(store, manifest, on_progress=on_progress)


def load_real_embedder(store: ModelStore) -> Embedder | None:
    from models.errors import CoachError
    from models.loader import load_embedder

    try:
        return load_embedder(store)
    except CoachError:
        return None  # the decode is then lexical, and says so


@dataclass
class AppContext:
    store: ModelStore
    db: sqlite_utils.Database
    manifest: Manifest
    model_factory: ModelFactory = load_real_model
    embedder_factory: EmbedderFactory = load_real_embedder
    model: TextModel | None = None
    embedder: Embedder | None = None
    embedder_loaded: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _jobs: threading.Condition = field(default_factory=threading.Condition)
    _running: dict[int, threading.Event] = field(default_factory=dict)
    _prefetch: Any = None  # coach.services.interviewing.Prefetcher for self.model, made on first use

    def get_embedder(self) -> Embedder | None:
        """Load once (off the UI thread: call from a worker)."""
        with self._lock:
            if not self.embedder_loaded:
                self.embedder = self.embedder_factory(self.store)
                self.embedder_loaded = True
            return self.embedder

    @contextmanager
    def model_job(self, cancel: threading.Event) -> Iterator[TextModel | None]:
        """The model for one job (None while none is loaded), held until the job ends: a model is
        closed only once no job holds it. `cancel` is this job's own, set by Esc or a model switch."""
        with self._jobs:
            model = self.model
            self._running[id(cancel)] = cancel
        try:
            yield model
        finally:
            with self._jobs:
                self._running.pop(id(cancel), None)
                self._jobs.notify_all()

    def prefetcher(self) -> Any:
        """The background question-preparer of the loaded model (None while none is loaded). Call from a worker."""
        from coach.services.interviewing import Prefetcher

        if self.model is None:
            return None
        embedder = self.get_embedder()
        with self._jobs:
            if self.model is None:
                return None
            if self._prefetch is None or self._prefetch.model is not self.model:
                self._close_prefetch()
                self._prefetch = Prefetcher(model=self.model, embedder=embedder)
            return self._prefetch

    def _close_prefetch(self) -> None:
        prefetch, self._prefetch = self._prefetch, None
        if prefetch is not None:
            prefetch.close()  # stops within a prompt chunk or a token

    def retire_model(self, timeout: float = 60.0) -> None:
        """Stop every job that holds the model, wait for them to end, then close it. Call from a
        worker: generation stops within a token, but a token is not instant on a CPU."""
        with self._jobs:
            old, self.model = self.model, None
            for cancel in self._running.values():
                cancel.set()
            self._jobs.wait_for(lambda: not self._running, timeout=timeout)
            self._close_prefetch()
        if old is not None:
            old.close()

    def close(self) -> None:
        """On exit: the jobs that hold the model stop first (each within a token), then it and the
        embedder close; closing a model under a running job is what native code does not forgive."""
        self.retire_model(timeout=10.0)
        if self.embedder is not None:
            self.embedder.close()


class Batcher:
    """Collects streamed text in a worker and hands it to the UI at most every `interval` seconds.

    Re-rendering per token costs decode speed on a CPU; one update per batch does not.
    """

    def __init__(self, flush: Callable[[str], Any], interval: float = 0.1) -> None:
        self._flush = flush
        self.interval = interval
        self._pending: list[str] = []
        self._last = 0.0
        self.flushes = 0

    def add(self, text: str) -> None:
        self._pending.append(text)
        now = time.monotonic()
        if now - self._last >= self.interval:
            self.flush()
            self._last = now

    def flush(self) -> None:
        if self._pending:
            text, self._pending = "".join(self._pending), []
            self.flushes += 1
            self._flush(text)
