"""This machine's memory read bandwidth and float32 compute, with a given number of threads.

The two figures a prediction of model speed rests on (bench/predict.py): decoding a token reads every
weight once (memory-bound), evaluating a prompt multiplies matrices (compute-bound). Each is measured a few
times, a second or two in all, and reported as best and median: on a shared machine the median says how
much a neighbour took, the best what the hardware can do.

    python -m bench.machine [--threads N]
"""

from __future__ import annotations

import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Figure:
    best: float
    median: float
    samples: int


@dataclass(frozen=True, slots=True)
class MachineFigures:
    threads: int
    bandwidth_gb_s: Figure  # bytes read from RAM per second / 1e9
    gflops: Figure  # float32 GEMM, 1e9 floating-point operations per second
    loadavg: tuple[str, ...]

    def to_dict(self) -> dict:
        return asdict(self)


def _figure(values: list[float]) -> Figure:
    return Figure(best=max(values), median=statistics.median(values), samples=len(values))


def loadavg() -> tuple[str, ...]:
    try:
        with open("/proc/loadavg", encoding="utf-8") as handle:
            return tuple(handle.read().split()[:3])
    except OSError:
        return ()


def read_bandwidth(threads: int, *, size_mb: int = 256, repeats: int = 7) -> Figure:
    """GB/s of a streaming reduction over an array far larger than any cache, split over `threads`
    (numpy releases the GIL while it sums, so the threads read side by side)."""
    array = np.ones(size_mb * 1024 * 1024 // 4, dtype=np.float32)
    parts = np.array_split(array, threads)
    values = []
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(np.sum, parts))  # first touch: pages mapped before timing
        for _ in range(repeats):
            start = time.perf_counter()
            list(pool.map(np.sum, parts))
            values.append(array.nbytes / (time.perf_counter() - start) / 1e9)
    return _figure(values)


def gemm_gflops(threads: int, *, n: int = 1024, repeats: int = 7) -> Figure:
    """GFLOP/s of an n×n float32 matrix product (2n³ operations) in the BLAS numpy links, on `threads`."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), dtype=np.float32)
    values = []
    with threadpool_limits(limits=threads, user_api="blas"):
        np.matmul(a, b, out=out)  # warm-up: the BLAS picks its kernel and spins its threads up
        for _ in range(repeats):
            start = time.perf_counter()
            np.matmul(a, b, out=out)
            values.append(2 * n**3 / (time.perf_counter() - start) / 1e9)
    return _figure(values)


def measure(threads: int | None = None) -> MachineFigures:
    if not threads:
        from models.llama_runtime import default_threads  # the app's count: the CPUs this process may use

        threads = default_threads()
    return MachineFigures(threads=threads, bandwidth_gb_s=read_bandwidth(threads), gflops=gemm_gflops(threads),
                          loadavg=loadavg())


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int)
    print(json.dumps(measure(parser.parse_args().threads).to_dict(), indent=1))
