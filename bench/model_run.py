"""One short measured run of a real model in a fresh process: prompt speed, decode gaps, peak RSS.

    python -m bench.model_run MODEL_ID [--threads N] [--tokens 64] [--reps 3]   -> JSON on stdout
    python -m bench.model_run LABEL --file PATH --sha256 HEX --exact-prompt --reps 2 --tokens 256

The model is loaded as the app loads it (verified by sha256, a context of 4,096, llama.cpp's own threads),
then it streams `--reps` greedy generations of `--tokens` tokens past end-of-sequence from the benchmark's
interview prompt. Each repetition starts from an empty KV cache (`LlamaCppModel.clear_cache`) and its prompt
with its own number: every repetition evaluates its whole prompt. A fresh process, so that the peak RSS
is this model's alone (not the 256 MB array bench.machine reads).

`--exact-prompt` sends the interview prompt itself in every repetition (each from an empty cache), so that
every repetition's greedy ids can be checked against the ids bench/expected stores for it;
`--file` loads a GGUF outside the registry, refused unless it hashes to `--sha256` (bench.interleave).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.machine import loadavg


def run(model_id: str, *, threads: int | None, tokens: int, reps: int, file: Path | None = None,
        sha256: str | None = None, exact_prompt: bool = False) -> dict:
    from models.datadir import models_dir
    from models.fingerprint import package_versions
    from models.loader import load_gguf_file, load_text_model
    from models.measure import INTERVIEW_PROMPT, measure_stream, peak_rss_bytes
    from models.store import ModelStore

    load_before = loadavg()
    t0 = time.perf_counter()
    if file is not None:
        if not sha256:
            raise ValueError("--file needs --sha256: a file is loaded only once its sha256 is checked")
        model, model_path = load_gguf_file(file, sha256=sha256, n_threads=threads), file
    else:
        store = ModelStore(models_dir=models_dir())
        manifest = store.registry.get(model_id)
        model, model_path = load_text_model(store, manifest, n_threads=threads), store.path(manifest)
    load_s = time.perf_counter() - t0  # the sha256 check included, as the app pays it
    ttft, evaluated, gaps, prompt_tps, ids = [], [], [], [], []
    try:
        # Warm-up, not counted: the first pass faults the mapped weights in from the page cache.
        model.stream(f"Warm-up. {INTERVIEW_PROMPT}", max_tokens=2, ignore_eos=True).collect()
        for rep in range(reps):
            prompt = INTERVIEW_PROMPT if exact_prompt else f"Round {rep + 1}. {INTERVIEW_PROMPT}"
            model.clear_cache()  # the expected ids are a whole prompt's, evaluated from nothing
            m = measure_stream(model, prompt, max_tokens=tokens, ignore_eos=True)
            ttft.append(m.ttft_s)
            evaluated.append(m.prompt_tokens)
            prompt_tps.append(m.prompt_tokens_per_s)
            gaps += m.inter_token_s
            ids.append(m.token_ids)
        threads_used = model.n_threads
    finally:
        model.close()
    return {"model_id": model_id, "threads": threads_used, "load_s": load_s, "prompt_tokens": evaluated,
            "ttft_s": ttft, "prompt_tokens_per_s": prompt_tps, "gap_median_s": statistics.median(gaps),
            "gaps_s": gaps, "token_ids": ids,
            "peak_rss_bytes": peak_rss_bytes(),
            "model_path": str(model_path), "loadavg": [load_before, loadavg()],
            "python": sys.executable, "llama_cpp": package_versions().get("llama-cpp-python")}


def run_in_subprocess(model_id: str, *, threads: int | None = None, tokens: int = 64, reps: int = 3,
                      timeout_s: float = 300.0, python: str = sys.executable, file: Path | None = None,
                      sha256: str | None = None, exact_prompt: bool = False) -> dict:
    """The same, in a fresh interpreter (its own RSS, its own llama.cpp threads): this one, or another
    build's `python` (which must be able to import the coach's dependencies)."""
    command = [python, "-m", "bench.model_run", model_id, f"--tokens={tokens}", f"--reps={reps}"]
    if threads:
        command.append(f"--threads={threads}")
    if file is not None:
        command += [f"--file={file}", f"--sha256={sha256}"]
    if exact_prompt:
        command.append("--exact-prompt")
    from models.errors import CoachError

    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                              cwd=Path(__file__).resolve().parents[1])
    except subprocess.TimeoutExpired:
        # Seen here: two llama.cpp threads with another process on one of the two cores crawl.
        raise CoachError(f"the measured run of {model_id} took over {timeout_s:.0f} s: is the machine busy?",
                         hint="rerun when it is idle, or with fewer threads (--threads 1)") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CoachError(f"the measured run of {model_id} failed: {last}",
                         hint=f"try `coach generate` with {model_id} to see why it does not load")
    return json.loads(done.stdout)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("model_id")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--sha256")
    parser.add_argument("--exact-prompt", action="store_true")
    args = parser.parse_args()
    print(json.dumps(run(args.model_id, threads=args.threads, tokens=args.tokens, reps=args.reps, file=args.file,
                         sha256=args.sha256, exact_prompt=args.exact_prompt)))
