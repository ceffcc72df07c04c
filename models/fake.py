"""A deterministic text model for testing the code above the runtime.

It speaks the same protocol as :class:`models.llama_runtime.LlamaCppModel` (stop
sequences, max tokens, cancellation, timestamps, prefix-reuse bookkeeping all come from
the shared :class:`models.runtime.Completion`), but its "tokens" are words and its
reply is either given by the test or derived from a hash of the prompt and seed.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from models.runtime import AnyEvent, Completion, GenerationStats, ModelGate, Prompt, RawTokens, _PrefixTracker, fit_prompt

_TOKEN = re.compile(r"\s*\S+|\s+")
_WORDS = (
    "evaluation latency retrieval ownership trade-off baseline rubric metric regression "
    "incident rollout prompt schema agent tool guardrail cost dataset label drift"
).split()


def split_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


class FakeTextModel:
    def __init__(
        self,
        *,
        reply: str | Callable[[str], str] | None = None,
        model_id: str = "fake",
        instruct: bool = True,
        n_ctx: int = 4096,
        token_delay_s: float = 0.0,
    ) -> None:
        self.model_id = model_id
        self.instruct = instruct
        self.n_ctx = n_ctx
        self._reply = reply
        self.token_delay_s = token_delay_s
        self.prompts: list[str] = []
        self._prefix = _PrefixTracker()
        self.gate = ModelGate(model_id)
        self.closed = False

    def render(self, prompt: Prompt) -> str:
        if isinstance(prompt, str):
            return prompt
        return "".join(f"<{m.role}>\n{m.content}\n" for m in prompt) + "<assistant>\n"

    def count_tokens(self, text: str) -> int:
        return len(split_tokens(text))

    def reply_for(self, text: str, seed: int, json_schema: dict[str, Any] | None) -> str:
        if callable(self._reply):
            return self._reply(text)
        if isinstance(self._reply, str):
            return self._reply
        digest = hashlib.sha256(f"{seed}\0{text}".encode()).digest()
        words = " ".join(_WORDS[b % len(_WORDS)] for b in digest[:24])
        if json_schema is not None:
            keys = list(json_schema.get("properties", {})) or ["text"]
            return json.dumps({key: words for key in keys})
        return words[0].upper() + words[1:] + "."

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
    ) -> Completion:
        if self.closed:
            raise RuntimeError("model is closed")
        preempt = self.gate.acquire(background=background)
        try:
            stats = GenerationStats(t_start=time.perf_counter())
            max_tokens = max(1, min(max_tokens, self.n_ctx - 1))
            prompt, stats.truncated_blocks, stats.truncated_prompt_tokens = fit_prompt(
                prompt, self.n_ctx - max_tokens, lambda p: self.count_tokens(self.render(p)), self.count_tokens)
        except BaseException:
            self.gate.release()
            raise
        text = self.render(prompt)
        self.prompts.append(text)
        ids = [int.from_bytes(hashlib.blake2s(t.encode(), digest_size=4).digest(), "big") for t in split_tokens(text)]
        stats.prompt_tokens = len(ids)
        stats.reused_tokens = self._prefix.reuse(ids)
        self._prefix.last = ids
        reply = self.reply_for(text, seed, json_schema)
        return Completion(self._raw(reply), stats=stats, max_tokens=max_tokens, stop=stop,
                          cancel=AnyEvent(cancel, preempt), on_finish=self.gate.release)

    def _raw(self, reply: str) -> RawTokens:
        for index, piece in enumerate(split_tokens(reply)):
            if self.token_delay_s:
                time.sleep(self.token_delay_s)
            yield index + 1, piece
        yield -1, ""

    def close(self) -> None:
        self.closed = True
