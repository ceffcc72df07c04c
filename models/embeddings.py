"""Sentence embeddings on onnxruntime: all-MiniLM-L6-v2, offline, batched, L2-normalised."""

from __future__ import annotations

import os
from collections.abc import Sequence
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
    """Mean-pooled, L2-normalised sentence vectors from a BERT-style ONNX encoder."""

    def __init__(
        self,
        *,
        model_path: Path,
        tokenizer_path: Path,
        dimensions: int = 384,
        max_length: int = 256,
        batch_size: int = 16,  # small batches: every text in one is padded to its longest
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
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.enable_padding(pad_id=self._tokenizer.token_to_id("[PAD]") or 0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
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
        # Batch texts of similar length together: padding to the longest in a batch is wasted work.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        ordered = [texts[i] for i in order]
        rows = np.concatenate(
            [self._embed_batch(ordered[i : i + self.batch_size]) for i in range(0, len(ordered), self.batch_size)], axis=0
        )
        out = np.empty_like(rows)
        out[order] = rows
        return out

    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        out = self._session.run([self._output], {k: v for k, v in feed.items() if k in self._inputs})[0]
        if out.ndim == 3:  # token embeddings: mean over the real (unpadded) tokens
            weights = mask[:, :, None].astype(np.float32)
            out = (out * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        out = out.astype(np.float32)
        return out / np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-12, None)

    def close(self) -> None:
        self._session = None


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two unit vectors."""
    return float(np.dot(a, b))
