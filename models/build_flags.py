"""CMake options for a llama.cpp build that runs on *this* CPU.

Standard library only: the install script runs it with the system Python before
any virtual environment exists, and the benchmark fingerprint reuses it.

Why not ``-DGGML_NATIVE=ON``: on some VMs the CPU advertises AMX but the
hypervisor does not enable it, and a native build dies in
``ggml_backend_amx_mul_mat``. We turn on each x86 extension that /proc/cpuinfo
lists, and keep AMX off always.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

# cpuinfo flag -> ggml CMake option
_X86_FLAG_OPTIONS: dict[str, str] = {
    "avx": "GGML_AVX",
    "avx2": "GGML_AVX2",
    "fma": "GGML_FMA",
    "f16c": "GGML_F16C",
    "bmi2": "GGML_BMI2",
    "avx_vnni": "GGML_AVX_VNNI",
    "avx512f": "GGML_AVX512",
    "avx512vbmi": "GGML_AVX512_VBMI",
    "avx512_vnni": "GGML_AVX512_VNNI",
    "avx512_bf16": "GGML_AVX512_BF16",
}
_ALWAYS_OFF = ("GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16")
# Keep the build lean and free of a libcurl dependency: coach never downloads through llama.cpp.
_COMMON = ("-DLLAMA_CURL=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF")

OVERRIDE_ENV = "COACH_CMAKE_ARGS"


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The instruction-set flags of the first CPU listed in /proc/cpuinfo (empty elsewhere)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return set(value.split())
    return set()


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cmake_args(flags: set[str] | None = None, machine: str | None = None) -> str:
    """The CMAKE_ARGS for llama-cpp-python on this machine; ``COACH_CMAKE_ARGS`` overrides."""
    override = os.environ.get(OVERRIDE_ENV)
    if override is not None:
        return override
    machine = (machine or platform.machine()).lower()
    if machine not in ("x86_64", "amd64", "i686", "x86"):
        # ARM and Apple silicon: llama.cpp's defaults are portable there (no AMX trap).
        return " ".join(_COMMON)
    flags = cpu_flags() if flags is None else flags
    opts = ["-DGGML_NATIVE=OFF", *_COMMON]
    for flag, option in _X86_FLAG_OPTIONS.items():
        opts.append(f"-D{option}={'ON' if flag in flags else 'OFF'}")
    opts += [f"-D{option}=OFF" for option in _ALWAYS_OFF]
    return " ".join(opts)


if __name__ == "__main__":
    if sys.argv[1:] == ["--cpu"]:
        print(cpu_model())
    else:
        print(cmake_args())
