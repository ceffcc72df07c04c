"""What a measurement was made on: machine, CPU features, llama.cpp build, package versions, model.

Every benchmark result carries one, from the harness and the app's Bench screen alike, so that
two figures are only compared when they were measured on the same thing.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from models.build_flags import cpu_flags, cpu_model

INSTRUCTION_SETS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni",
                    "amx_tile", "neon", "asimd")


def llama_build() -> dict[str, str]:
    """The llama.cpp build: the CMake options the install used, and what the library reports."""
    venv = Path(sys.prefix)
    cmake = (venv / ".coach-llama-cmake-args").read_text().strip() if (venv / ".coach-llama-cmake-args").exists() else ""
    try:
        import llama_cpp

        system = llama_cpp.llama_print_system_info().decode(errors="replace").strip()
    except Exception:  # noqa: BLE001 - a fingerprint must not fail the run
        system = "unavailable"
    return {"cmake_args": cmake or "unknown (not installed by scripts/install.sh)", "system_info": system}


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("llama-cpp-python", "onnxruntime", "numpy", "textual", "coach"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def fingerprint(*, model_sha256: str | None, threads: int | None) -> dict[str, Any]:
    flags = cpu_flags()
    machine = {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "threads_used": threads,
        "instruction_sets": [s for s in INSTRUCTION_SETS if s in flags],
        "machine": platform.machine(),
        "os": platform.system(),
        "llama_build": llama_build(),
        "model_sha256": model_sha256,
        "packages": package_versions(),
    }
    machine["id"] = hashlib.sha256(json.dumps(machine, sort_keys=True).encode()).hexdigest()[:16]
    return machine
