"""Token-level comparison of a candidate model with its reference, as llama.cpp's perplexity
tool defines it (`--kl-divergence`): the corpus is cut into chunks of n_ctx tokens, the first
token of each is BOS, and only the second half of each chunk is scored (the first half is
context). Per scored token: KL(reference || candidate) over the whole vocabulary, whether the
two agree on the top token, Δp of the actual next token, and each model's NLL.

The reference's log-probabilities are cached on disk as llama.cpp does it (uint16 per entry,
scaled per row between the row's maximum and 40 nats below it), so a second candidate costs
one pass of the candidate only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from models.errors import InputError
from models.llama_runtime import default_threads, import_llama_cpp
from models.store import sha256_file
from quantize.stats import token_statistics

CORPUS = Path(__file__).parent / "corpus" / "interviews-v1.txt"
CACHE_FORMAT = 3  # bump when what a cached chunk holds changes (3: BOS only where the vocabulary adds one)


def corpus_text(path: Path = CORPUS) -> str:
    return "".join(line for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
                   if not line.startswith("# coach evaluation corpus"))


class LogitsModel:
    """A GGUF loaded for full logits over chunks (kept separate from the generation runtime)."""

    def __init__(self, path: Path, *, n_ctx: int, threads: int | None = None) -> None:
        llama_cpp = import_llama_cpp()
        self.path = path
        self.n_ctx = n_ctx
        threads = threads or default_threads()  # llama-cpp-python's own default is half the cores
        self.llama = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_batch=n_ctx, n_ubatch=n_ctx,
                                     logits_all=True, n_threads=threads, n_threads_batch=threads, verbose=False)
        # As llama.cpp's perplexity tool: BOS at the start of the text and of each chunk only where the
        # vocabulary asks for one (Gemma does, Qwen 2.5 does not); the chunk boundaries then match its own.
        self.bos = self.llama.token_bos() if llama_cpp.llama_vocab_get_add_bos(self.llama._model.vocab) else -1
        self.n_vocab = self.llama.n_vocab()

    def tokenize(self, text: str) -> list[int]:
        # add_bos=True means llama.cpp's add_special: a BOS is added only if the vocabulary wants one.
        return self.llama.tokenize(text.encode("utf-8"), add_bos=True, special=False)

    def vocab_fingerprint(self) -> str:
        pieces = b"\0".join(self.llama.detokenize([i]) for i in range(min(self.n_vocab, 4096)))
        return hashlib.sha256(pieces).hexdigest()[:16]

    def chunk_log_probs(self, chunk: list[int], first: int) -> np.ndarray:
        """Log-softmax of the logits at positions first .. len-2 (each predicts the next token)."""
        self.llama.reset()
        self.llama.eval(chunk)
        logits = np.asarray(self.llama.scores[first : len(chunk) - 1], dtype=np.float32)
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def close(self) -> None:
        self.llama.close()


def chunks(tokens: list[int], n_ctx: int, bos: int) -> Iterator[list[int]]:
    for start in range(0, len(tokens) - n_ctx + 1, n_ctx):
        chunk = list(tokens[start : start + n_ctx])
        if bos >= 0:
            chunk[0] = bos
        yield chunk


@dataclass
class TokenReport:
    """The comparison. The flat fields are the headline figures; `stats` holds every figure of
    llama.cpp's `perplexity --kl-divergence` with its error and the 95% intervals the gates use."""

    reference: str
    candidate: str
    n_ctx: int
    chunks: int
    tokens: int
    mean_kld: float
    median_kld: float
    p99_kld: float
    max_kld: float
    same_top1: float  # fraction of scored tokens where both models' top token agree ("same top p")
    rms_dp: float  # root mean square of Δp of the actual next token (fraction, not %)
    ppl_reference: float
    ppl_candidate: float
    ppl_ratio: float
    # Files named by the user are loaded without ModelStore's manifest check: their hashes are recorded instead.
    reference_sha256: str = ""
    candidate_sha256: str = ""
    stats: dict = field(default_factory=dict)
    chunk_kld: list[float] = field(default_factory=list)
    kld_histogram: dict[str, list[float]] = field(default_factory=dict)
    dp_histogram: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


class ReferenceCache:
    """The reference's scored log-probabilities, one float16 .npy per chunk, keyed by model and corpus."""

    def __init__(self, cache_dir: Path, ref_path: Path, text: str, n_ctx: int, max_chunks: int | None = None) -> None:
        corpus = hashlib.sha256(text.encode()).hexdigest()
        self.sha256 = sha256_file(ref_path)
        key = hashlib.sha256(f"{CACHE_FORMAT}|{self.sha256}|{corpus}|{n_ctx}|{max_chunks}".encode())
        self.dir = cache_dir / key.hexdigest()[:20]
        self.meta_path = self.dir / "meta.json"

    def complete(self) -> bool:
        return self.meta_path.is_file()

    def load_meta(self) -> dict:
        return json.loads(self.meta_path.read_text())

    def chunk(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The chunk's log-probabilities, and, exact, its top tokens and the actual next tokens' log-probabilities
        (kept apart from the rounded table: rounding could swap near-ties and nudge perplexity)."""
        data = np.load(self.dir / f"chunk-{index:04d}.npz")
        return decode_log_probs(data["q"], data["lo"], data["scale"]), data["top"], data["target"]


LOG_PROB_RANGE = 40.0  # nats kept below each row's maximum; e^-40 is beyond any measurable effect


def encode_log_probs(log_probs: np.ndarray) -> dict[str, np.ndarray]:
    hi = log_probs.max(axis=1, keepdims=True)
    lo = hi - LOG_PROB_RANGE
    scale = (hi - lo) / 65535.0
    q = np.round((np.clip(log_probs, lo, hi) - lo) / scale).astype(np.uint16)
    return {"q": q, "lo": lo.astype(np.float32), "scale": scale.astype(np.float32)}


def decode_log_probs(q: np.ndarray, lo: np.ndarray, scale: np.ndarray) -> np.ndarray:
    values = lo + q.astype(np.float32) * scale
    # Renormalise: rounding shifts each row's mass by ~1e-4, which would bias every KLD upwards.
    top = values.max(axis=1, keepdims=True)
    return values - (top + np.log(np.exp(values - top).sum(axis=1, keepdims=True)))


def build_reference(ref: LogitsModel, text: str, cache: ReferenceCache, max_chunks: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> dict:
    tokens = ref.tokenize(text)
    all_chunks = list(chunks(tokens, ref.n_ctx, ref.bos))[:max_chunks]  # as llama.cpp's --chunks
    if not all_chunks:
        raise InputError(f"the corpus has {len(tokens)} tokens, fewer than one chunk of {ref.n_ctx}")
    cache.dir.mkdir(parents=True, exist_ok=True)
    first = ref.n_ctx // 2
    for index, chunk in enumerate(all_chunks):
        log_probs = ref.chunk_log_probs(chunk, first)
        targets = np.array(chunk[first + 1 :])
        np.savez(cache.dir / f"chunk-{index:04d}.npz", top=log_probs.argmax(axis=1).astype(np.int32),
                 target=log_probs[np.arange(len(targets)), targets], **encode_log_probs(log_probs))
        if progress:
            progress(index + 1, len(all_chunks))
    meta = {"tokens": tokens, "chunks": len(all_chunks), "n_ctx": ref.n_ctx, "first": first,
            "n_vocab": ref.n_vocab, "vocab": ref.vocab_fingerprint(), "reference": str(ref.path), "sha256": cache.sha256}
    cache.meta_path.write_text(json.dumps(meta))
    return meta


def compare(reference: Path, candidate: Path, *, text: str | None = None, n_ctx: int = 512,
            cache_dir: Path, threads: int | None = None, max_chunks: int | None = None,
            progress: Callable[[str, int, int], None] | None = None) -> TokenReport:
    text = text if text is not None else corpus_text()
    cache = ReferenceCache(cache_dir, reference, text, n_ctx, max_chunks)
    if cache.complete():
        meta = cache.load_meta()
    else:
        ref = LogitsModel(reference, n_ctx=n_ctx, threads=threads)
        try:
            meta = build_reference(ref, text, cache, max_chunks,
                                   (lambda d, t: progress("reference", d, t)) if progress else None)
        finally:
            ref.close()
    cand = LogitsModel(candidate, n_ctx=n_ctx, threads=threads)
    try:
        if cand.n_vocab != meta["n_vocab"] or cand.vocab_fingerprint() != meta["vocab"]:
            raise InputError("the candidate's vocabulary differs from the reference's: they cannot be compared")
        klds, same, dps, nll_ref, nll_cand, per_chunk = [], [], [], [], [], []
        first = meta["first"]
        for index, chunk in enumerate(list(chunks(meta["tokens"], n_ctx, cand.bos))[: meta["chunks"]]):
            ref_lp, ref_top, ref_target = cache.chunk(index)
            cand_lp = cand.chunk_log_probs(chunk, first)
            targets = np.array(chunk[first + 1 :])
            p_ref = np.exp(ref_lp)
            kld = (p_ref * (ref_lp - cand_lp)).sum(axis=1)
            rows = np.arange(len(targets))
            klds.append(kld)  # unclamped, as llama.cpp: rounding noise averages out
            same.append(ref_top == cand_lp.argmax(axis=1))
            dps.append(np.exp(cand_lp[rows, targets]) - np.exp(ref_target))  # the exact target, not the rounded table
            nll_ref.append(-ref_target)
            nll_cand.append(-cand_lp[rows, targets])
            per_chunk.append(float(kld.mean()))
            if progress:
                progress("candidate", index + 1, meta["chunks"])
    finally:
        cand.close()
    kld_all, dp_all = np.concatenate(klds), np.concatenate(dps)
    stats = token_statistics(kld_all, dp_all, np.concatenate(same), np.concatenate(nll_ref), np.concatenate(nll_cand))
    counts, edges = np.histogram(np.log10(np.maximum(kld_all, 1e-9)), bins=24, range=(-9, 3))
    dp_counts, dp_edges = np.histogram(dp_all, bins=20, range=(-1, 1))
    return TokenReport(
        reference=str(reference), candidate=str(candidate), n_ctx=n_ctx, chunks=meta["chunks"], tokens=int(kld_all.size),
        mean_kld=stats["kld"]["mean"], median_kld=stats["kld"]["percentiles"]["50"],
        p99_kld=stats["kld"]["percentiles"]["99"], max_kld=stats["kld"]["max"], same_top1=stats["same_top"]["value"],
        rms_dp=stats["dp"]["rms"], ppl_reference=stats["ppl"]["reference"], ppl_candidate=stats["ppl"]["candidate"],
        ppl_ratio=stats["ppl"]["ratio"], reference_sha256=meta["sha256"], candidate_sha256=sha256_file(candidate),
        stats=stats, chunk_kld=per_chunk,
        kld_histogram={"log10_edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
        dp_histogram={"edges": [float(e) for e in dp_edges], "counts": [int(c) for c in dp_counts]},
    )
