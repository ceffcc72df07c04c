"""Sentence embeddings on onnxruntime: all-MiniLM-L6-v2, offline, batched, L2-normalised."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from models.errors import ModelLoadError, RuntimeUnavailableError


class Embedder(Protocol):
    dimensions: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """An (n, dimensions) float32 array of unit vectors, one row per text."""
        ...

    def close(self) -> None: ...


class OnnxEmbedder:
    """Mean-pooled, L2-normalised sentence vectors from a BERT-style ONNX encoder.

    Texts are cut into batches of similar token length (plan_batches) and the batches run side by side,
    one core each: for sentence-sized inputs one single-threaded call per core beat one call split across
    the cores by onnxruntime (10,000-character decode on the 2-core VM: embedding p50 ~120 ms against
    ~150 ms, interleaved in one run)."""

    def __init__(
        self,
        *,
        model_path: Path,
        tokenizer_path: Path,
        dimensions: int = 384,
        max_length: int = 256,
        max_batch: int = 64,
        threads: int | None = None,
    ) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeUnavailableError(
                f"the embedding runtime is not importable ({exc})", hint="run `bash scripts/install.sh`"
            ) from None
        self.dimensions = dimensions
        self.max_batch = max_batch
        self._workers = max(1, threads or min(4, os.cpu_count() or 1))
        self._pool: ThreadPoolExecutor | None = None
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.no_padding()  # batches are padded by plan_batches, to their own longest text
        self._pad_id = self._tokenizer.token_to_id("[PAD]") or 0
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # parallel across batches instead (see the class docstring)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session: Any = ort.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelLoadError(f"onnxruntime could not load {model_path.name}: {exc}") from None
        self._inputs = {i.name for i in self._session.get_inputs()}
        outputs = [o.name for o in self._session.get_outputs()]
        self._output = "sentence_embedding" if "sentence_embedding" in outputs else outputs[0]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not one string")
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        batches = plan_batches([len(encodings[i].ids) for i in order], max_batch=self.max_batch)

        def run(batch: tuple[int, int]) -> None:
            rows = order[batch[0] : batch[1]]
            out[rows] = self._embed_batch([encodings[i].ids for i in rows])

        if len(batches) == 1 or self._workers == 1:
            for batch in batches:
                run(batch)
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="embed")
            # Longest batches first, so no core is left with a long one at the end.
            by_cost = sorted(batches, key=lambda b: -(b[1] - b[0]) * len(encodings[order[b[1] - 1]].ids))
            for done in [self._pool.submit(run, batch) for batch in by_cost]:
                done.result()
        return out

    def _embed_batch(self, token_ids: Sequence[Sequence[int]]) -> np.ndarray:
        width = max(len(ids) for ids in token_ids)
        ids = np.full((len(token_ids), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(token_ids), width), dtype=np.int64)
        for row, tokens in enumerate(token_ids):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        out = self._session.run([self._output], {k: v for k, v in feed.items() if k in self._inputs})[0]
        if out.ndim == 3:  # token embeddings: mean over the real (unpadded) tokens
            weights = mask[:, :, None].astype(np.float32)
            out = (out * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        out = out.astype(np.float32)
        return out / np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-12, None)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._session = None


# Cost of one encoder call, in units of one token's work. Measured on the 2-core VM with MiniLM, one call
# costs about what 25 tokens do; with the batches running in parallel, smaller ones balance the cores
# better, and 10 gave the lowest 10,000-character decode time of 5, 10 and 25.
CALL_COST_TOKENS = 10.0


def plan_batches(lengths: Sequence[int], *, max_batch: int = 64,
                 call_cost: float = CALL_COST_TOKENS) -> list[tuple[int, int]]:
    """Split texts sorted by token length into batches [start, end) that minimise the work done: every
    text in a batch is padded to the batch's longest, and every call has a fixed cost. Exact, by dynamic
    programming over the cut points (n x max_batch steps)."""
    n = len(lengths)
    if any(lengths[i] > lengths[i + 1] for i in range(n - 1)):
        raise ValueError("plan_batches takes lengths in ascending order")
    best = [0.0] + [float("inf")] * n
    cut = [0] * (n + 1)
    for end in range(1, n + 1):
        for start in range(max(0, end - max_batch), end):
            cost = best[start] + call_cost + (end - start) * lengths[end - 1]
            if cost < best[end]:
                best[end], cut[end] = cost, start
    batches: list[tuple[int, int]] = []
    end = n
    while end > 0:
        batches.append((cut[end], end))
        end = cut[end]
    return batches[::-1]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two unit vectors."""
    return float(np.dot(a, b))
