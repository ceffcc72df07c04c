"""The text-generation protocol every model runtime speaks.

``model.stream(prompt, ...)`` returns a :class:`Completion`: an iterator with one
:class:`Token` per generated token, each stamped with the time it was sampled, plus
bookkeeping (prompt tokens, reused prefix, why it finished). Stop sequences, max tokens
and cancellation are handled here, once, for every runtime.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from models.errors import InputError, ModelBusyError
from models.quoting import shrink_quoted

Role = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "eos", "length", "cancelled"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str


Prompt = str | Sequence[ChatMessage]


@dataclass(frozen=True, slots=True)
class Token:
    """One generated token.

    ``text`` is the text this token releases: it can be empty while a multi-byte
    character or a possible stop sequence is incomplete. ``id`` is -1 for the final
    flush of held-back text at the end of a stream. ``t`` is ``time.perf_counter()``
    when the token was sampled.
    """

    text: str
    id: int
    t: float


@dataclass(slots=True)
class GenerationStats:
    prompt_tokens: int = 0
    reused_tokens: int = 0  # prompt tokens whose evaluation was reused from the last call
    generated_tokens: int = 0
    t_start: float = 0.0
    t_first: float | None = None
    t_end: float | None = None
    finish_reason: FinishReason | None = None
    truncated_prompt_tokens: int = 0  # cut from the prompt's quoted data to fit the context
    restored_tokens: int = 0  # of the reused tokens, those restored from a saved state on disk
    truncated_blocks: tuple[str, ...] = ()  # the quoted blocks (tags) that lost text, e.g. ("answer",)

    @property
    def time_to_first_token(self) -> float | None:
        return None if self.t_first is None else self.t_first - self.t_start


class StopMatcher:
    """Holds back text that might be the start of a stop sequence; cuts at a full match."""

    def __init__(self, stops: Iterable[str]) -> None:
        self.stops = [s for s in stops if s]
        self._pending = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        """Add text; return what is now safe to release."""
        if not self.stops:
            return text
        buffer = self._pending + text
        cut = min((i for i in (buffer.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            self._pending = ""
            return buffer[:cut]
        hold = 0
        for stop in self.stops:
            for k in range(min(len(stop) - 1, len(buffer)), 0, -1):
                if buffer.endswith(stop[:k]):
                    hold = max(hold, k)
                    break
        self._pending = buffer[len(buffer) - hold :] if hold else ""
        return buffer[: len(buffer) - hold]

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return text


# A runtime yields (token id, text piece) pairs; None as the id means end of sequence.
RawTokens = Iterator[tuple[int, str]]


class Completion(Iterator[Token]):
    """One generation in progress. Iterate it for tokens; ``text`` and ``stats`` as it goes."""

    def __init__(
        self,
        raw: RawTokens,
        *,
        stats: GenerationStats,
        max_tokens: int,
        stop: Sequence[str] = (),
        cancel: threading.Event | AnyEvent | None = None,
        on_finish: Callable[[], None] | None = None,
    ) -> None:
        self._raw = raw
        self.stats = stats
        self._max_tokens = max_tokens
        self._matcher = StopMatcher(stop)
        self._cancel = cancel
        self._on_finish = on_finish
        self._pieces: list[str] = []
        self._done = False
        self._flushed = False

    @property
    def text(self) -> str:
        return "".join(self._pieces)

    @property
    def finish_reason(self) -> FinishReason | None:
        return self.stats.finish_reason

    @property
    def truncated(self) -> tuple[str, ...]:
        """The quoted blocks the model saw only part of (empty: it saw the whole prompt)."""
        return self.stats.truncated_blocks

    def __iter__(self) -> Completion:
        return self

    def __next__(self) -> Token:
        if self._done:
            tail = self._matcher.flush() if not self._flushed else ""
            self._flushed = True
            if tail:
                self._pieces.append(tail)
                return Token(tail, -1, time.perf_counter())
            raise StopIteration
        if self._cancel is not None and self._cancel.is_set():
            return self._finish("cancelled")
        if self.stats.generated_tokens >= self._max_tokens:
            return self._finish("length")
        try:
            token_id, piece = next(self._raw)
        except StopIteration:  # a runtime that stops while evaluating the prompt was cancelled
            return self._finish("cancelled" if self._cancel is not None and self._cancel.is_set() else "eos")
        except BaseException:
            self._finish_quietly()
            raise
        now = time.perf_counter()
        if token_id < 0:  # end of sequence from the model
            return self._finish("eos")
        self.stats.generated_tokens += 1
        if self.stats.t_first is None:
            self.stats.t_first = now
        released = self._matcher.feed(piece)
        if self._matcher.stopped:
            self._pieces.append(released)
            self._finish_quietly("stop")
            self._flushed = True  # text after a stop sequence is discarded
            return Token(released, token_id, now)
        self._pieces.append(released)
        return Token(released, token_id, now)

    def _finish(self, reason: FinishReason) -> Token:
        self._finish_quietly(reason)
        return self.__next__()

    def _finish_quietly(self, reason: FinishReason | None = None) -> None:
        if self._done:
            return
        self._done = True
        if self.stats.finish_reason is None:
            self.stats.finish_reason = reason
        self.stats.t_end = time.perf_counter()
        close = getattr(self._raw, "close", None)
        if close is not None:
            close()
        if self._on_finish is not None:
            self._on_finish()

    def close(self) -> None:
        """Stop early and release the model; safe to call more than once."""
        if not self._done:
            self._finish_quietly("cancelled")
        self._flushed = True

    def __enter__(self) -> Completion:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def collect(self) -> str:
        """Run to the end and return the whole text."""
        for _ in self:
            pass
        return self.text


@runtime_checkable
class TextModel(Protocol):
    """What the coach needs from a language model."""

    model_id: str
    instruct: bool
    n_ctx: int

    def stream(
        self,
        prompt: Prompt,
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
        stop: Sequence[str] = (),
        json_schema: dict[str, Any] | None = None,
        grammar: str | None = None,
        cancel: threading.Event | None = None,
        background: bool = False,
        shared_prefix: str | None = None,
    ) -> Completion: ...

    def count_tokens(self, text: str) -> int: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class _PrefixTracker:
    """Remembers the last evaluated token ids to report how much of a prompt is reused."""

    last: list[int] = field(default_factory=list)

    def reuse(self, tokens: Sequence[int]) -> int:
        n = 0
        for a, b in zip(self.last, tokens):
            if a != b:
                break
            n += 1
        # The runtime re-evaluates at least the last prompt token to get fresh logits.
        return min(n, max(len(tokens) - 1, 0))


def fit_prompt(prompt: Prompt, budget: int, tokens_of: Callable[[Prompt], int],
               count: Callable[[str], int]) -> tuple[Prompt, tuple[str, ...], int]:
    """The prompt cut to `budget` tokens inside its quoted blocks; the instructions around them stay whole.

    Returns (prompt, tags of the blocks cut, tokens cut). Raises InputError when the quoted text cannot
    give up enough: a prompt without its instructions is not worth running."""
    n = tokens_of(prompt)
    if n <= budget:
        return prompt, (), 0
    start, tags = n, ()
    for _ in range(4):
        texts = [prompt] if isinstance(prompt, str) else [m.content for m in prompt]
        try:
            shrunk = shrink_quoted(texts, n - budget, count)
        except ValueError:
            raise InputError(f"this prompt needs {start:,} tokens and the model's context holds {budget:,} "
                             "even with its quoted text cut", hint="use a shorter text") from None
        tags += tuple(t for t in shrunk.cut_tags if t not in tags)
        prompt = shrunk.texts[0] if isinstance(prompt, str) else [
            ChatMessage(m.role, text) for m, text in zip(prompt, shrunk.texts)]
        n = tokens_of(prompt)
        if n <= budget:
            return prompt, tags, start - n
    raise InputError(f"this prompt needs {start:,} tokens and the model's context holds {budget:,}",
                     hint="use a shorter text")


class AnyEvent:
    """Set when any of its events is set: a job's own cancel or a pre-emption by user-facing work."""

    def __init__(self, *events: threading.Event | None) -> None:
        self._events = [e for e in events if e is not None]

    def is_set(self) -> bool:
        return any(e.is_set() for e in self._events)


class ModelGate:
    """One model, one job at a time, user-facing jobs first.

    A foreground job waits for the model; a background job (preparing the next question) waits until
    no foreground job is running or waiting, and is pre-empted (its `preempt` event set) the moment a
    foreground job asks. Its evaluated prompt stays in the KV cache, so the work done is not lost.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._cond = threading.Condition()
        self._busy = False
        self._foreground_waiting = 0
        self._preempt: threading.Event | None = None
        self._idle_since = time.monotonic()

    def acquire(self, *, background: bool = False, timeout: float = 30.0) -> threading.Event | None:
        """Wait for the model; a background job gets the event that says it was pre-empted."""
        with self._cond:
            if background:
                if not self._cond.wait_for(lambda: not self._busy and not self._foreground_waiting, timeout):
                    raise ModelBusyError(f"{self._name} is busy with user-facing work")
                self._busy, self._preempt = True, threading.Event()
                return self._preempt
            self._foreground_waiting += 1
            try:
                if self._preempt is not None:
                    self._preempt.set()
                if not self._cond.wait_for(lambda: not self._busy, timeout):
                    raise ModelBusyError(f"{self._name} is still generating; cancel it first")
                self._busy = True
                return None
            finally:
                self._foreground_waiting -= 1

    def release(self) -> None:
        with self._cond:
            self._busy, self._preempt = False, None
            self._idle_since = time.monotonic()
            self._cond.notify_all()

    def wait_idle(self, settle: float = 0.5) -> None:
        """Wait until the model has been idle for `settle` seconds. A background job calls this before it
        starts, so it does not slip in between the generations of one user-facing flow (the feedback's
        parts) and evict their shared prompt from the KV cache."""
        with self._cond:
            while True:
                self._cond.wait_for(lambda: not self._busy and not self._foreground_waiting)
                left = settle - (time.monotonic() - self._idle_since)
                if left <= 0:
                    return
                self._cond.wait(left)
