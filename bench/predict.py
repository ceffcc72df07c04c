"""Which model tier meets a hardware profile: predicted from bandwidth and compute, calibrated here.

Decoding a token is memory-bound: it reads every weight once (and the KV cache so far), so a step takes
bytes / (efficiency × bandwidth). Evaluating a prompt is compute-bound: about 2 × parameters operations per
token (plus attention over the context), so it takes FLOPs / (efficiency × compute). The two efficiencies
(achieved ÷ this machine's measured bandwidth and float32 GEMM speed) come from ONE measured run of a real
model here (bench/model_run.py), one run per installed model: across models decode transferred within
0.89-1.25 at load 2-4, but the first token 0.64-1.56 and peak RSS 0.69-2.37 (the runtime overhead is 122 MB
for Gemma 3 270M, 711 MB for the 1.5B; README, "Which tier for which machine"). They are then applied to each
profile's stated bandwidth and compute.
A prediction within ±20% of its target is "borderline": the efficiencies move with the CPU, the llama.cpp
build and the load, and a spec sheet's peak is not what a program reaches.

The arithmetic is here, pure; measuring is in bench/machine.py and bench/model_run.py.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np

N_CTX = 4096  # the app's context (models/loader.py)
KV_BYTES = 2  # llama.cpp's default KV cache type: f16
# The tokens a question's new part makes the model evaluate before its first word when it was not prepared
# in the background (scripts/prompt_tokens.py on the flow benchmark's JD as it read before the corpus was reworded,
# 2,016 characters, the 1.5B tokenizer: 123-141; on today's 2,137-character wording 119-137 after 619), after the
# system prompt and JD already in the cache (613 tokens: the read's prompt). Kept: the predictions in the README
# were made with these, and 4 tokens move them by less than their own doubt.
QUESTION_NEW_TOKENS = 141
JD_PREFIX_TOKENS = 613
BORDERLINE = 0.20


@dataclass(frozen=True, slots=True)
class Shape:
    """What a model costs per token, from its GGUF (or estimated from its file size when it is not here)."""

    model_id: str
    tier: str
    file_bytes: int
    weight_bytes_per_token: int  # bytes a decode step reads (gguf_header.bytes_per_token)
    body_params: int  # parameters multiplied per prompt token (the layers; not embedding lookup nor output)
    output_params: int  # the output layer: computed once per prompt, for its last token
    n_layer: int
    n_head: int
    n_head_kv: int
    head_dim: int
    n_vocab: int
    estimated: bool = False
    instruct: bool = True  # a base model (the 270M test tier) is shown but never recommended as a coach

    def kv_bytes(self, tokens: int) -> int:
        return 2 * self.n_layer * self.n_head_kv * self.head_dim * KV_BYTES * tokens

    def decode_bytes(self, position: int) -> int:
        """Bytes one decode step reads at this position: the weights, and the keys and values so far."""
        return self.weight_bytes_per_token + self.kv_bytes(position)

    def prefill_flops(self, new: int, start: int = 0) -> float:
        """Operations to evaluate `new` prompt tokens after `start` cached ones: the layers' matrices, the
        attention scores and weighted sums over the positions so far (2 × 2 × heads × head_dim each), once
        the output layer."""
        positions = np.arange(start, start + new, dtype=float) + 1
        attention = 4.0 * self.n_layer * self.n_head * self.head_dim * positions.sum()
        return 2.0 * self.body_params * new + attention + 2.0 * self.output_params


def shape_from_gguf(path: Path, *, model_id: str, tier: str, instruct: bool = True) -> Shape:
    from bench.gguf_header import bytes_per_token, read_header

    metadata, tensors = read_header(path)
    arch = metadata["general.architecture"]

    def field(key: str) -> int | None:
        found = metadata.get(f"{arch}.{key}")
        return int(found) if found is not None else None

    sizes = {t.name: t.n_elements for t in tensors}
    embedding = sizes.get("token_embd.weight", 0)
    output = sizes.get("output.weight", embedding)  # tied: the output layer is the embedding table
    body = sum(sizes.values()) - embedding - sizes.get("output.weight", 0)
    width = field("embedding_length") or 1
    n_head = field("attention.head_count") or 1
    return Shape(model_id=model_id, tier=tier, file_bytes=path.stat().st_size,
                 weight_bytes_per_token=bytes_per_token(tensors), body_params=body, output_params=output,
                 n_layer=field("block_count") or 0, n_head=n_head,
                 n_head_kv=field("attention.head_count_kv") or n_head,
                 head_dim=field("attention.key_length") or width // n_head, n_vocab=output // width,
                 instruct=instruct)


def shape_from_size(size: int, *, model_id: str, tier: str, like: Shape, instruct: bool = True) -> Shape:
    """A model whose GGUF is not here: `like`'s shape scaled by file size. A rough estimate (the share of
    the embedding table differs between sizes), marked as such."""
    scale = size / like.file_bytes
    return Shape(model_id=model_id, tier=tier, file_bytes=size,
                 weight_bytes_per_token=int(like.weight_bytes_per_token * scale),
                 body_params=int(like.body_params * scale), output_params=int(like.output_params * scale),
                 n_layer=like.n_layer, n_head=like.n_head, n_head_kv=like.n_head_kv, head_dim=like.head_dim,
                 n_vocab=like.n_vocab, estimated=True, instruct=instruct)


@dataclass(frozen=True, slots=True)
class Calibration:
    """Efficiencies of one measured run, relative to the machine figures measured beside it."""

    model_id: str
    decode_efficiency: float  # bytes a step read / median step time ÷ measured read bandwidth
    prefill_efficiency: float  # prompt FLOPs / time to first token ÷ measured GEMM FLOP/s
    tail_ratio: float  # p95 ÷ median of the inter-token gaps (what the median becomes at p95)
    overhead_bytes: int  # peak RSS - file - KV cache of the full context: buffers, runtime, Python


def calibrate(run: dict, shape: Shape, *, bandwidth_gb_s: float, gflops: float) -> Calibration:
    prompt = statistics.median(run["prompt_tokens"])
    gaps = np.asarray(run["gaps_s"], dtype=float)
    median_gap = float(np.median(gaps))
    read = shape.decode_bytes(int(prompt) + len(gaps) // (2 * max(len(run["ttft_s"]), 1)))
    decode = read / median_gap / (bandwidth_gb_s * 1e9)
    prefill = shape.prefill_flops(int(prompt)) / statistics.median(run["ttft_s"]) / (gflops * 1e9)
    return Calibration(model_id=run["model_id"], decode_efficiency=decode, prefill_efficiency=prefill,
                       tail_ratio=float(np.percentile(gaps, 95)) / median_gap,
                       overhead_bytes=int(run["peak_rss_bytes"]) - shape.file_bytes - shape.kv_bytes(N_CTX))


@dataclass(frozen=True, slots=True)
class Prediction:
    model_id: str
    p50_inter_token_ms: float
    p95_inter_token_ms: float
    ttft_s: float  # first word of a question's new part
    peak_rss_mb: float


def predict(shape: Shape, cal: Calibration, *, bandwidth_gb_s: float, gflops: float,
            new_tokens: int = QUESTION_NEW_TOKENS, prefix_tokens: int = JD_PREFIX_TOKENS) -> Prediction:
    """Latency and memory of `shape` on a machine reading `bandwidth_gb_s` and computing `gflops`."""
    step = shape.decode_bytes(prefix_tokens + new_tokens) / (cal.decode_efficiency * bandwidth_gb_s * 1e9)
    ttft = shape.prefill_flops(new_tokens, prefix_tokens) / (cal.prefill_efficiency * gflops * 1e9)
    rss = shape.file_bytes + shape.kv_bytes(N_CTX) + cal.overhead_bytes
    return Prediction(model_id=shape.model_id, p50_inter_token_ms=step * 1e3,
                      p95_inter_token_ms=step * cal.tail_ratio * 1e3, ttft_s=ttft, peak_rss_mb=rss / 2**20)


# -- judging against a profile ---------------------------------------------------------------------
TARGET_KEYS = (("p95_inter_token_ms", "p95_inter_token_ms"), ("ttft_s", "ttft_p50_s"), ("peak_rss_mb", "peak_rss_mb"))


def verdict(value: float, target: float) -> str:
    """'meets' or 'misses', 'borderline' when the prediction is within ±20% of the target."""
    if abs(value - target) <= BORDERLINE * target:
        return "borderline"
    return "meets" if value <= target else "misses"


def judge(prediction: Prediction, targets: dict[str, float]) -> dict[str, str]:
    return {key: verdict(getattr(prediction, key), targets[name]) for key, name in TARGET_KEYS if name in targets}


def overall(verdicts: dict[str, str]) -> str:
    if not verdicts:
        return "no targets"
    if "misses" in verdicts.values():
        return "misses"
    return "borderline" if "borderline" in verdicts.values() else "meets"


def recommend(rows: list[tuple[Shape, str]]) -> str:
    """The largest coaching tier predicted to meet every target; a borderline one is named with the safe one
    below. A base model is never recommended: it cannot follow the coach's instructions."""
    by_size = sorted((row for row in rows if row[0].instruct), key=lambda row: row[0].file_bytes, reverse=True)
    safe = next((shape for shape, result in by_size if result == "meets"), None)
    edge = next((shape for shape, result in by_size if result in ("meets", "borderline")), None)
    if edge is None:
        return "none: no coaching tier is predicted to meet every target"
    if edge is safe:
        return f"{edge.model_id} ({edge.tier})"
    fallback = f"; {safe.model_id} ({safe.tier}) meets them with margin" if safe else "; no tier meets them with margin"
    return f"{edge.model_id} ({edge.tier}), borderline{fallback}"
