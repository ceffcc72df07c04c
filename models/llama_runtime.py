"""The text-generation runtime on llama-cpp-python (a GGUF model on the CPU)."""

from __future__ import annotations

import codecs
import ctypes
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from models.errors import ModelBusyError, ModelLoadError, RuntimeUnavailableError
from models.runtime import ChatMessage, Completion, GenerationStats, Prompt, RawTokens, _PrefixTracker

log = logging.getLogger("coach.llama")
_log_callback: Any = None  # kept referenced: llama.cpp holds a raw pointer to it


def import_llama_cpp() -> Any:
    global _log_callback
    try:
        import llama_cpp
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeUnavailableError(
            f"llama-cpp-python is not importable ({exc})",
            hint="run `bash scripts/install.sh`, which builds it for this CPU",
        ) from None
    if _log_callback is None:
        # llama.cpp writes to stderr from C, which would scribble over the app's screen.
        # Route it to logging instead: visible with debug logging, silent otherwise.
        @llama_cpp.llama_log_callback
        def _to_logging(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
            if log.isEnabledFor(logging.DEBUG):
                log.debug(text.decode("utf-8", errors="replace").rstrip())

        _log_callback = _to_logging
        llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))
    return llama_cpp


def default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS
        return max(1, os.cpu_count() or 1)


class LlamaCppModel:
    """A GGUF model loaded with llama.cpp. Load it from a path that ModelStore verified.

    Keeps one context: the tokens it evaluated last stay in the KV cache, so a prompt
    that starts like the previous one (same system prompt and JD) only evaluates what
    is new.
    """

    def __init__(
        self,
        *,
        model_path: Path,
        model_id: str,
        instruct: bool,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_batch: int = 512,
    ) -> None:
        llama_cpp = import_llama_cpp()
        self.model_id = model_id
        self.instruct = instruct
        self.n_threads = n_threads or default_threads()
        self._lock = threading.Lock()
        self._prefix = _PrefixTracker()
        # Every llama.cpp computation runs on this one thread. With OpenMP, each calling thread gets its
        # own team of workers, and an idle team spin-waits: generating from a second thread (a new UI
        # worker, say) then loses a quarter of its speed to the first team's spinning.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"llama-{model_id}")
        t0 = time.perf_counter()
        try:
            self._llama = llama_cpp.Llama(
                model_path=str(model_path),
                n_ctx=n_ctx,
                n_batch=n_batch,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                n_gpu_layers=0,
                # A full-size sliding-window cache lets prefix reuse work on SWA models (Gemma 3).
                swa_full=True,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelLoadError(f"llama.cpp could not load {model_path.name}: {exc}") from None
        self.load_seconds = time.perf_counter() - t0
        self.n_ctx = self._llama.n_ctx()
        self._formatter = self._chat_formatter(llama_cpp) if instruct else None

    # -- prompt building ------------------------------------------------------------------
    def _chat_formatter(self, llama_cpp: Any) -> Any:
        from llama_cpp import llama_chat_format

        template = self._llama.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelLoadError(f"{self.model_id} is marked instruct but its GGUF has no chat template")
        model = self._llama._model
        eos, bos = model.token_eos(), model.token_bos()
        return llama_chat_format.Jinja2ChatFormatter(
            template=template,
            eos_token=model.token_get_text(eos) if eos != -1 else "",
            bos_token=model.token_get_text(bos) if bos != -1 else "",
        )

    def render(self, prompt: Prompt) -> str:
        """The exact text the model sees: chat messages go through the GGUF's template."""
        if isinstance(prompt, str):
            return prompt
        if self._formatter is None:
            # A base model has no template: a plain transcript is the honest rendering.
            return "\n\n".join(m.content for m in prompt) + "\n\n"
        messages = [{"role": m.role, "content": m.content} for m in prompt]
        return self._formatter(messages=messages).prompt

    def tokenize(self, text: str) -> list[int]:
        # special=True: the chat template's control tokens (<|im_start|>) must become tokens.
        return self._llama.tokenize(text.encode("utf-8"), add_bos=True, special=True)

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    # -- generation -----------------------------------------------------------------------
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
        ignore_eos: bool = False,
    ) -> Completion:
        """Stream a reply. `ignore_eos` (benchmarks only) keeps generating past end-of-sequence."""
        if not self._lock.acquire(timeout=30):
            raise ModelBusyError(f"{self.model_id} is still generating; cancel it first")
        try:
            tokens = self.tokenize(self.render(prompt))
            max_tokens = max(1, min(max_tokens, self.n_ctx - 1))
            stats = GenerationStats(prompt_tokens=len(tokens), t_start=time.perf_counter())
            budget = self.n_ctx - max_tokens
            if len(tokens) > budget:
                # Keep the end: the instruction and the question sit at the end of a prompt.
                stats.truncated_prompt_tokens = len(tokens) - budget
                tokens = tokens[:1] + tokens[len(tokens) - budget + 1 :]
            stats.reused_tokens = self._prefix.reuse(tokens)
            raw = self._raw_tokens(tokens, temperature, seed, self._grammar(json_schema, grammar), ignore_eos)
        except BaseException:
            self._lock.release()
            raise
        return Completion(raw, stats=stats, max_tokens=max_tokens, stop=stop, cancel=cancel, on_finish=self._lock.release)

    def _grammar(self, json_schema: dict[str, Any] | None, grammar: str | None) -> Any:
        if json_schema is None and grammar is None:
            return None
        from llama_cpp import LlamaGrammar

        if json_schema is not None:
            return LlamaGrammar.from_json_schema(json.dumps(json_schema), verbose=False)
        return LlamaGrammar.from_string(grammar, verbose=False)

    def _raw_tokens(self, tokens: list[int], temperature: float, seed: int, grammar: Any,
                    ignore_eos: bool = False) -> RawTokens:
        """Tokens from the model thread, one at a time: it computes at most one token ahead."""
        handoff: queue.Queue[tuple[int, str] | BaseException | None] = queue.Queue(maxsize=1)
        stop = threading.Event()

        def produce() -> None:
            try:
                for item in self._generate(tokens, temperature, seed, grammar, ignore_eos):
                    if stop.is_set():
                        break
                    handoff.put(item)
                    if stop.is_set():
                        break
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
                handoff.put(exc)
                return
            handoff.put(None)

        done = self._thread.submit(produce)
        try:
            while True:
                item = handoff.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while not done.done():  # unblock a producer waiting to hand over a token
                try:
                    handoff.get(timeout=0.05)
                except queue.Empty:
                    pass

    def _generate(self, tokens: list[int], temperature: float, seed: int, grammar: Any,
                  ignore_eos: bool) -> RawTokens:
        llama_cpp = import_llama_cpp()
        llama = self._llama
        vocab = llama._model.vocab
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        llama.set_seed(seed)
        evaluated = list(tokens)
        generator = llama.generate(
            tokens,
            temp=temperature,
            top_k=40 if temperature > 0 else 1,
            top_p=0.95,
            min_p=0.05,
            repeat_penalty=1.0,
            grammar=grammar,
        )
        try:
            for token in generator:
                if llama_cpp.llama_vocab_is_eog(vocab, token) and not ignore_eos:
                    yield -1, ""
                    return
                evaluated.append(token)
                yield token, decoder.decode(llama.detokenize([token]))
        finally:
            generator.close()
            self._prefix.last = evaluated[: llama.n_tokens]

    def run(self, fn: Any, *args: Any) -> Any:
        """Run `fn(llama, *args)` on the model thread (for anything else that computes, e.g. logits)."""
        return self._thread.submit(fn, self._llama, *args).result()

    def close(self) -> None:
        llama = getattr(self, "_llama", None)
        if llama is not None:
            self._thread.submit(llama.close).result()
            self._llama = None
            self._thread.shutdown(wait=True)

    def __enter__(self) -> LlamaCppModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def chat(system: str, user: str) -> list[ChatMessage]:
    return [ChatMessage("system", system), ChatMessage("user", user)]
