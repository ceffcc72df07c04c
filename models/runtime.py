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
    truncated_prompt_tokens: int = 0  # dropped from the front to fit the context

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
        cancel: threading.Event | None = None,
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
        except StopIteration:
            return self._finish("eos")
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
