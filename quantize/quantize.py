"""Quantize a full-precision GGUF with llama.cpp's own quantizer (through llama-cpp-python)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from models.errors import CoachError, InputError
from models.llama_runtime import default_threads, import_llama_cpp
from models.store import sha256_file

# llama.cpp's `llama_ftype` values for the types coach makes (include/llama.h).
FTYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 7, "Q4_K_M": 15, "Q5_K_M": 17, "Q6_K": 18, "Q4_K_S": 14,
          "Q5_K_S": 16, "Q3_K_M": 12, "Q2_K": 10}
DEFAULT_TYPES = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0")


@dataclass(frozen=True, slots=True)
class Recipe:
    """How an output was made: enough to make it again and to know it is the same file."""

    source: str
    source_sha256: str
    type: str
    ftype: int
    threads: int
    quantizer: str
    output: str
    output_sha256: str
    size: int
    seconds: float


def quantize(source: Path, output: Path, qtype: str, *, threads: int | None = None,
             source_sha256: str | None = None) -> Recipe:
    if qtype not in FTYPES:
        raise InputError(f"unknown quantization type {qtype}", hint=f"one of: {', '.join(FTYPES)}")
    if not source.is_file():
        raise InputError(f"no such model file: {source}")
    llama_cpp = import_llama_cpp()
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = FTYPES[qtype]
    params.nthread = threads or default_threads()
    params.allow_requantize = True  # a dequantized reference counts as quantized to llama.cpp's eyes
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    started = time.perf_counter()
    status = llama_cpp.llama_model_quantize(str(source).encode(), str(partial).encode(), params)
    if status != 0 or not partial.exists():
        partial.unlink(missing_ok=True)
        raise CoachError(f"llama.cpp could not quantize {source.name} to {qtype} (status {status})")
    os.replace(partial, output)
    recipe = Recipe(source=str(source), source_sha256=source_sha256 or sha256_file(source), type=qtype,
                    ftype=FTYPES[qtype], threads=params.nthread,
                    quantizer=f"llama-cpp-python {metadata.version('llama-cpp-python')} llama_model_quantize",
                    output=str(output), output_sha256=sha256_file(output), size=output.stat().st_size,
                    seconds=round(time.perf_counter() - started, 2))
    output.with_name(output.name + ".recipe.json").write_text(json.dumps(asdict(recipe), indent=2))
    return recipe


def quantize_all(source: Path, out_dir: Path, types: tuple[str, ...] = DEFAULT_TYPES, *,
                 progress: Callable[[int, int, str], None] | None = None) -> list[Recipe]:
    """Every type from one source; progress(done, total, type) before each."""
    source_sha = sha256_file(source)
    recipes = []
    for index, qtype in enumerate(types):
        if progress:
            progress(index, len(types), qtype)
        output = out_dir / f"{source.stem.removesuffix('-f16').removesuffix('-f32')}-{qtype.lower()}.gguf"
        recipes.append(quantize(source, output, qtype, source_sha256=source_sha))
    if progress:
        progress(len(types), len(types), "done")
    return recipes
