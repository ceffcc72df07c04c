"""Verified runs: every timed generation is greedy, and its token ids must equal the ids stored with the
benchmark for that model file (by its sha256) and that prompt (by its sha256). A build that is fast
because it computes the wrong thing fails instead of passing.

The ids live in bench/expected/<first 16 hex of the model's sha256>-<kernels>.json, written by
`coach bench --record-expected` (or `bash scripts/bench.sh --record-expected`) after a person has
read the output. <kernels> is the widest SIMD kernel set the installed llama.cpp build runs (avx512,
avx2, neon, portable): the same model file and prompt give different greedy ids under AVX-512 and
AVX2 kernels (they sum in another order and part at a near-tie: at token 16 of 256 for Gemma 270M),
so each kernel set has its own ids, and a set with none is reported as unverified, not as wrong.
Greedy decoding on another CPU or llama.cpp build can still round differently; the failure then says
at which token and on what machine the ids were recorded.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

EXPECTED_DIR = Path(__file__).parent / "expected"


class NoExpectedIds(AssertionError):
    """No ids are stored for this model file and prompt: the run cannot be verified (the benchmark skips,
    saying so, rather than passing unverified)."""


def kernels() -> str:
    """The widest SIMD kernel set the installed llama.cpp build runs on this CPU, as it reports itself."""
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    return next((name.lower() for name in ("AVX512", "AVX2", "NEON") if f"{name} = 1" in info), "portable")


class ExpectedIds:
    """Expected ids of one session: check() each run against them, or record() them when asked to."""

    def __init__(self, *, record: bool, directory: Path = EXPECTED_DIR, kernel_set: str | None = None) -> None:
        self.recording = record
        self.directory = directory
        self.checked = 0
        self._kernel_set = kernel_set

    @property
    def kernel_set(self) -> str:
        if self._kernel_set is None:
            self._kernel_set = kernels()
        return self._kernel_set

    @staticmethod
    def prompt_key(prompt: str, max_tokens: int) -> str:
        return hashlib.sha256(f"{max_tokens}|{prompt}".encode()).hexdigest()

    def path(self, model_sha256: str) -> Path:
        return self.directory / f"{model_sha256[:16]}-{self.kernel_set}.json"

    def load(self, model_sha256: str) -> dict[str, Any]:
        path = self.path(model_sha256)
        if not path.is_file():
            return {"model_sha256": model_sha256, "kernels": self.kernel_set, "prompts": {}}
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("model_sha256") != model_sha256:
            raise AssertionError(f"{path} is for model {data.get('model_sha256')}, not {model_sha256}")
        return data

    def check(self, *, model_sha256: str, model_id: str, prompt: str, max_tokens: int, ids: list[int],
              recorded_on: dict[str, Any] | None = None) -> None:
        """Raise AssertionError unless ids are the expected ones (or, when recording, store them)."""
        data = self.load(model_sha256)
        key = self.prompt_key(prompt, max_tokens)
        entry = data["prompts"].get(key)
        if self.recording:
            if entry is not None and entry["ids"] != ids:
                raise AssertionError(f"{model_id}: two greedy runs of one prompt differ in this session")
            data["model_id"] = model_id
            data["prompts"][key] = {"max_tokens": max_tokens, "prompt_start": prompt[:60], "ids": ids,
                                    "recorded_on": recorded_on or {}}
            self.directory.mkdir(parents=True, exist_ok=True)
            self.path(model_sha256).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
            self.checked += 1
            return
        if entry is None:
            raise NoExpectedIds(f"{model_id}: no expected token ids for this prompt, model sha256 "
                                 f"{model_sha256[:16]} and {self.kernel_set} kernels: run `coach bench "
                                 "--record-expected` and read the output first")
        if entry["ids"] != ids:
            first = next((i for i, (a, b) in enumerate(zip(entry["ids"], ids)) if a != b),
                         min(len(ids), len(entry["ids"])))
            where = entry.get("recorded_on", {})
            raise AssertionError(
                f"{model_id}: greedy output differs from the expected ids at token {first} of {len(entry['ids'])} "
                f"(expected {entry['ids'][first:first + 5]}, got {ids[first:first + 5]}); the expected ids were "
                f"recorded on {where.get('cpu_model', '?')} with llama.cpp {where.get('llama_cpp', '?')} "
                f"({self.kernel_set} kernels)")
        self.checked += 1
