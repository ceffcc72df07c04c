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

from models.errors import InputError, ModelLoadError, RuntimeUnavailableError
from models.kvstate import PrefixStates
from models.runtime import AnyEvent, ChatMessage, Completion, GenerationStats, ModelGate, Prompt, RawTokens, fit_prompt

log = logging.getLogger("coach.llama")
# Background prompt evaluation runs in chunks this small so user-facing work waits at most one chunk
# (about 0.3 s at 2-core prompt speed) to pre-empt it.
BACKGROUND_CHUNK = 32
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
    is new. A prompt's `shared_prefix` (the system prompt and JD every step of a JD starts
    with) is also saved to `state_dir` once evaluated and restored from there next time.
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
        state_dir: Path | None = None,
        model_sha256: str | None = None,
        state_max_bytes: int = 512 * 1024 * 1024,
    ) -> None:
        llama_cpp = import_llama_cpp()
        self.model_id = model_id
        self.instruct = instruct
        self.n_threads = n_threads or default_threads()
        self.gate = ModelGate(model_id)
        self._states = (PrefixStates(root=state_dir, model_sha256=model_sha256, max_bytes=state_max_bytes)
                        if state_dir is not None and model_sha256 else None)
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
        background: bool = False,
        shared_prefix: str | None = None,
        ignore_eos: bool = False,
    ) -> Completion:
        """Stream a reply.

        `background` work (preparing a question nobody waits for yet) yields the model to any other
        call: it stops at the next chunk or token with finish_reason "cancelled", keeping what it evaluated.
        `shared_prefix` is text that ends the part of the rendered prompt other prompts share (system +
        JD): it is kept on disk once evaluated. `ignore_eos` (benchmarks only) generates past end-of-sequence.
        """
        preempt = self.gate.acquire(background=background, timeout=600.0 if background else 30.0)
        try:
            max_tokens = max(1, min(max_tokens, self.n_ctx - 1))
            stats = GenerationStats(t_start=time.perf_counter())
            prompt = self._fit(prompt, self.n_ctx - max_tokens, stats)
            rendered = self.render(prompt)
            tokens = self.tokenize(rendered)
            stats.prompt_tokens = len(tokens)
            n_shared = self._shared_tokens(rendered, tokens, shared_prefix)
            stop_when = AnyEvent(cancel, preempt)
            raw = self._raw_tokens(tokens, temperature, seed, self._grammar(json_schema, grammar), ignore_eos,
                                   stats=stats, n_shared=n_shared, stop_when=stop_when,
                                   chunk=BACKGROUND_CHUNK if background else self._llama.n_batch)
        except BaseException:
            self.gate.release()
            raise
        return Completion(raw, stats=stats, max_tokens=max_tokens, stop=stop, cancel=stop_when,
                          on_finish=self.gate.release)

    def _fit(self, prompt: Prompt, budget: int, stats: GenerationStats) -> Prompt:
        """Cut quoted data, never instructions, to fit the context (see models.quoting)."""
        def tokens_of(p: Prompt) -> int:
            return len(self.tokenize(self.render(p)))

        try:
            prompt, stats.truncated_blocks, stats.truncated_prompt_tokens = fit_prompt(
                prompt, budget, tokens_of, self.count_tokens)
            return prompt
        except InputError:
            if not isinstance(prompt, str):
                raise
        # A plain-text prompt with no quoted block (benchmarks, base models): keep its end, say so.
        tokens = self.tokenize(prompt)
        stats.truncated_prompt_tokens = len(tokens) - budget
        stats.truncated_blocks = ("text",)
        return self._llama.detokenize(tokens[len(tokens) - budget + 8:]).decode("utf-8", errors="replace")

    def _shared_tokens(self, rendered: str, tokens: list[int], shared_prefix: str | None) -> int:
        """How many leading prompt tokens the shared prefix covers (0 when there is none)."""
        if not shared_prefix or (at := rendered.find(shared_prefix)) < 0:
            return 0
        head = self.tokenize(rendered[:at + len(shared_prefix)])
        n = 0
        for a, b in zip(head, tokens):
            if a != b:
                break
            n += 1
        return min(n, len(tokens) - 1)

    def _grammar(self, json_schema: dict[str, Any] | None, grammar: str | None) -> Any:
        if json_schema is None and grammar is None:
            return None
        from llama_cpp import LlamaGrammar

        if json_schema is not None:
            return LlamaGrammar.from_json_schema(json.dumps(json_schema), verbose=False)
        return LlamaGrammar.from_string(grammar, verbose=False)

    def _raw_tokens(self, tokens: list[int], temperature: float, seed: int, grammar: Any,
                    ignore_eos: bool = False, *, stats: GenerationStats, n_shared: int = 0,
                    stop_when: AnyEvent | None = None, chunk: int = 512) -> RawTokens:
        """Tokens from the model thread, one at a time: it computes at most one token ahead."""
        handoff: queue.Queue[tuple[int, str] | BaseException | None] = queue.Queue(maxsize=1)
        stop = threading.Event()

        def produce() -> None:
            try:
                for item in self._generate(tokens, temperature, seed, grammar, ignore_eos, stats=stats,
                                           n_shared=n_shared, stop_when=stop_when or AnyEvent(), chunk=chunk):
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

    def _prefill(self, tokens: list[int], *, stats: GenerationStats, n_shared: int, stop_when: AnyEvent,
                 chunk: int) -> bool:
        """Evaluate all but the last prompt token, reusing the KV cache (in memory or on disk), in chunks
        with a stop check between them. Returns False when stopped; what was evaluated stays cached."""
        llama = self._llama
        n_keep = _common_prefix(llama.input_ids[:llama.n_tokens], tokens)
        if n_shared and n_keep < n_shared and self._states is not None and self._states.load(llama, tokens[:n_shared]):
            stats.restored_tokens = n_keep = n_shared
        n_keep = min(n_keep, llama.n_tokens)
        target = len(tokens) - 1  # llama.generate evaluates the last one itself, to sample from it
        pos = min(n_keep, target)
        llama._ctx.kv_cache_seq_rm(-1, pos, -1)
        llama.n_tokens = pos
        stats.reused_tokens = pos
        while pos < target:
            if stop_when.is_set():
                return False
            end = min(target, pos + chunk)
            if pos < n_shared < end:
                end = n_shared  # stop at the shared prefix's end to save exactly it
            llama.eval(tokens[pos:end])
            pos = end
            if pos == n_shared and self._states is not None:
                self._states.save(llama, tokens[:n_shared])
        return True

    def _generate(self, tokens: list[int], temperature: float, seed: int, grammar: Any,
                  ignore_eos: bool, *, stats: GenerationStats, n_shared: int, stop_when: AnyEvent,
                  chunk: int) -> RawTokens:
        llama_cpp = import_llama_cpp()
        llama = self._llama
        if not self._prefill(tokens, stats=stats, n_shared=n_shared, stop_when=stop_when, chunk=chunk):
            return
        vocab = llama._model.vocab
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        llama.set_seed(seed)
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
                yield token, decoder.decode(llama.detokenize([token]))
        finally:
            generator.close()

    def clear_cache(self) -> None:
        """Empty the KV cache: the next prompt is evaluated whole, as a fresh process would. Benchmarks do this
        before a verified generation, because llama.cpp's numerics depend on how a prompt was split into batches:
        after the first-token benchmark had evaluated the same prompt as the prefix of a longer one, the greedy
        ids parted from a cold run's at token 13 of 256 (1.5B) or 24 (270M)."""
        def clear(llama: Any) -> None:
            llama._ctx.kv_cache_clear()
            llama.n_tokens = 0

        self.run(clear)

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


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def chat(system: str, user: str) -> list[ChatMessage]:
    return [ChatMessage("system", system), ChatMessage("user", user)]
