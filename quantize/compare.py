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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
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


OUTPUT_BUDGET = 400 * 1024 * 1024  # bytes of logits llama.cpp may hold for one batch (Gemma: 1 chunk, Qwen 2.5: 2)
ROW_BLOCK = 16  # rows numpy works on at once: its temporaries stay at ~16 × n_vocab floats each
MAX_BATCH = 2048  # tokens per decode, llama-perplexity's default n_batch: n_seq = 2048 / n_ctx chunks at once


class LogitsModel:
    """A GGUF loaded for logits over chunks, as llama.cpp's perplexity tool drives it (kept separate from the
    generation runtime): several chunks per decode, each its own sequence, and logits only for the scored
    half of each chunk. The logits stay in llama.cpp's output buffer; numpy reads them in place."""

    def __init__(self, path: Path, *, n_ctx: int, threads: int | None = None, n_seq: int | None = None) -> None:
        llama_cpp = import_llama_cpp()
        from llama_cpp import _internals as internals

        self._llama_cpp = llama_cpp
        self.path = path
        self.n_ctx = n_ctx
        self.first = n_ctx // 2
        self.threads = threads = threads or default_threads()  # llama-cpp-python's own default: half the cores
        model_params = llama_cpp.llama_model_default_params()
        model_params.n_gpu_layers = 0
        try:
            self.model = internals.LlamaModel(path_model=str(path), params=model_params, verbose=False)
        except ValueError as exc:
            raise InputError(f"llama.cpp could not load {path.name}: {exc}") from None
        self.n_vocab = self.model.n_vocab()
        scored_bytes = (n_ctx - self.first) * self.n_vocab * 4
        self.n_seq = n_seq or max(1, min(MAX_BATCH // n_ctx, OUTPUT_BUDGET // scored_bytes))
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = params.n_batch = n_ctx * self.n_seq
        params.n_ubatch = min(512, n_ctx * self.n_seq)
        params.n_seq_max = self.n_seq
        params.n_threads = params.n_threads_batch = threads
        params.no_perf = True
        # As llama-cpp-python's Llama (and this harness before it batched chunks): no flash attention. Its
        # default here is 'auto', which changes the numerics enough to move 13 of 2,040 top tokens on Gemma 3 270M.
        params.flash_attn_type = 0  # LLAMA_FLASH_ATTN_TYPE_DISABLED
        self.ctx = internals.LlamaContext(model=self.model, params=params, verbose=False)
        self._batch = llama_cpp.llama_batch_init(n_ctx * self.n_seq, 0, self.n_seq)
        # As llama.cpp's perplexity tool: BOS at the start of the text and of each chunk only where the
        # vocabulary asks for one (Gemma does, Qwen 2.5 does not); the chunk boundaries then match its own.
        self.bos = self.model.token_bos() if llama_cpp.llama_vocab_get_add_bos(self.model.vocab) else -1

    def tokenize(self, text: str) -> list[int]:
        # add_bos=True means llama.cpp's add_special: a BOS is added only if the vocabulary wants one.
        return self.model.tokenize(text.encode("utf-8"), add_bos=True, special=False)

    def vocab_fingerprint(self) -> str:
        pieces = b"\0".join(self.model.detokenize([i]) for i in range(min(self.n_vocab, 4096)))
        return hashlib.sha256(pieces).hexdigest()[:16]

    def chunk_logits(self, all_chunks: list[list[int]]) -> Iterator[tuple[int, np.ndarray]]:
        """(index, logits) per chunk: rows for positions first .. n_ctx-2 (each predicts the next token).
        The array is a view of llama.cpp's buffer, valid only until the next item is asked for."""
        llama_cpp, batch, scored = self._llama_cpp, self._batch, self.n_ctx - self.first
        for start in range(0, len(all_chunks), self.n_seq):
            group = all_chunks[start : start + self.n_seq]
            llama_cpp.llama_memory_clear(self.ctx.memory, True)
            n = 0
            for seq, chunk in enumerate(group):
                for pos, token in enumerate(chunk):
                    batch.token[n], batch.pos[n], batch.n_seq_id[n] = token, pos, 1
                    batch.seq_id[n][0] = seq
                    batch.logits[n] = pos >= self.first
                    n += 1
            batch.n_tokens = n
            code = llama_cpp.llama_decode(self.ctx.ctx, batch)
            if code != 0:
                raise InputError(f"llama.cpp could not evaluate chunks of {self.path.name} (llama_decode {code})")
            pointer = llama_cpp.llama_get_logits(self.ctx.ctx)
            logits = np.ctypeslib.as_array(pointer, shape=(len(group) * scored, self.n_vocab))
            for seq in range(len(group)):
                yield start + seq, logits[seq * scored : (seq + 1) * scored - 1]

    def close(self) -> None:
        if getattr(self, "_batch", None) is not None:
            self._llama_cpp.llama_batch_free(self._batch)
            self._batch = None
        self.ctx.close()
        self.model.close()


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax in float32, as a new array (the input, llama.cpp's buffer, is left alone)."""
    out = logits - logits.max(axis=1, keepdims=True)
    out -= np.log(np.exp(out).sum(axis=1, keepdims=True))
    return out


def row_blocks(rows: int) -> Iterator[slice]:
    for r0 in range(0, rows, ROW_BLOCK):
        yield slice(r0, min(r0 + ROW_BLOCK, rows))


def each_block(pool: ThreadPoolExecutor, rows: int, work: Callable[[slice], None]) -> None:
    """`work` on every block of rows, the blocks spread over the pool's threads. llama.cpp is idle while a chunk's
    logits are read (its buffer holds them until the next decode), so numpy's ufuncs, which release the GIL, get
    the cores; each block writes only its own rows."""
    for done in [pool.submit(work, block) for block in row_blocks(rows)]:
        done.result()


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

    def chunk(self, index: int) -> dict[str, np.ndarray]:
        """The chunk's encoded log-probabilities (q, lo, scale: decode them a block of rows at a time with
        decode_log_probs), and, exact, its top tokens and the actual next tokens' log-probabilities (kept apart
        from the rounded table: rounding could swap near-ties and nudge perplexity)."""
        with np.load(self.dir / f"chunk-{index:04d}.npz") as data:
            return {key: data[key] for key in ("q", "lo", "scale", "top", "target")}


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


def _encode_block(block: slice, *, logits: np.ndarray, targets: np.ndarray, out: dict[str, np.ndarray]) -> None:
    """The reference's rows: encoded log-probabilities, exact top token and target log-probability."""
    log_probs = log_softmax(logits[block])
    encoded = encode_log_probs(log_probs)
    out["q"][block], out["lo"][block], out["scale"][block] = encoded["q"], encoded["lo"], encoded["scale"]
    out["top"][block] = log_probs.argmax(axis=1)
    out["target"][block] = log_probs[np.arange(block.stop - block.start), targets[block]]


def _score_block(block: slice, *, logits: np.ndarray, targets: np.ndarray, ref: dict[str, np.ndarray],
                 out: dict[str, np.ndarray]) -> None:
    """The candidate's rows against the reference's: KLD, top token, target log-probability."""
    cand_lp = log_softmax(logits[block])
    ref_lp = decode_log_probs(ref["q"][block], ref["lo"][block], ref["scale"][block])
    out["kld"][block] = (np.exp(ref_lp) * (ref_lp - cand_lp)).sum(axis=1)  # unclamped, as llama.cpp
    out["top"][block] = cand_lp.argmax(axis=1)
    out["target"][block] = cand_lp[np.arange(block.stop - block.start), targets[block]]


def build_reference(ref: LogitsModel, text: str, cache: ReferenceCache, max_chunks: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> dict:
    tokens = ref.tokenize(text)
    all_chunks = list(chunks(tokens, ref.n_ctx, ref.bos))[:max_chunks]  # as llama.cpp's --chunks
    if not all_chunks:
        raise InputError(f"the corpus has {len(tokens)} tokens, fewer than one chunk of {ref.n_ctx}")
    cache.dir.mkdir(parents=True, exist_ok=True)
    first = ref.first
    with ThreadPoolExecutor(max_workers=ref.threads) as pool:
        for index, logits in ref.chunk_logits(all_chunks):
            targets = np.array(all_chunks[index][first + 1 :])
            rows = len(targets)
            out = {"q": np.empty((rows, ref.n_vocab), dtype=np.uint16), "lo": np.empty((rows, 1), dtype=np.float32),
                   "scale": np.empty((rows, 1), dtype=np.float32), "top": np.empty(rows, dtype=np.int32),
                   "target": np.empty(rows, dtype=np.float32)}
            each_block(pool, rows, partial(_encode_block, logits=logits, targets=targets, out=out))
            np.savez(cache.dir / f"chunk-{index:04d}.npz", **out)
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
        all_chunks = list(chunks(meta["tokens"], n_ctx, cand.bos))[: meta["chunks"]]
        with ThreadPoolExecutor(max_workers=cand.threads) as pool:
            for index, logits in cand.chunk_logits(all_chunks):
                data = cache.chunk(index)
                ref_top, ref_target = data["top"], data["target"]
                targets = np.array(all_chunks[index][first + 1 :])
                out = {"kld": np.empty(len(targets), np.float32), "target": np.empty(len(targets), np.float32),
                       "top": np.empty(len(targets), np.int32)}
                each_block(pool, len(targets), partial(_score_block, logits=logits, targets=targets, ref=data, out=out))
                kld, cand_top, cand_target = out["kld"], out["top"], out["target"]
                klds.append(kld)
                same.append(ref_top == cand_top)
                dps.append(np.exp(cand_target) - np.exp(ref_target))  # the exact target, not the table
                nll_ref.append(-ref_target)
                nll_cand.append(-cand_target)
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
