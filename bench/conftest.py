"""Acceptance benchmarks: run with `bash scripts/bench.sh` (not part of the default test run).

pytest-benchmark times each round; we compute p50/p95/p99 ourselves from its raw data
(it reports no p95) and assert against targets.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def percentiles(samples: list[float]) -> dict[str, float]:
    data = np.asarray(samples, dtype=float)
    return {f"p{q}": float(np.percentile(data, q)) for q in (50, 95, 99)} | {"n": int(data.size)}


def record(benchmark, **figures: float) -> dict[str, float]:
    """Put our percentiles of the raw round times in extra_info; return them."""
    stats = percentiles(list(benchmark.stats.stats.data))
    benchmark.extra_info.update({k: round(v, 6) if isinstance(v, float) else v for k, v in stats.items()})
    benchmark.extra_info.update(figures)
    return stats


@pytest.fixture(scope="session", autouse=True)
def bench_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("bench-home")
    old = os.environ.get("COACH_HOME")
    os.environ["COACH_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("COACH_HOME", None)
    else:
        os.environ["COACH_HOME"] = old


@pytest.fixture(scope="session")
def store(bench_home: Path):
    from models.datadir import models_dir
    from models.store import ModelStore

    return ModelStore(models_dir=models_dir())


@pytest.fixture(scope="session")
def embedder(store):
    from models.loader import load_embedder

    store.materialize(store.registry.default("embedding"))
    model = load_embedder(store)
    yield model
    model.close()


def dev_set_text(length: int) -> str:
    """A realistic JD of about `length` characters: the dev set's postings, in order, cut at a line end."""
    texts = [p.read_text(encoding="utf-8").split("\n---\n", 1)[1] for p in sorted((ROOT / "tests/data/jds").glob("*.txt"))]
    whole = "\n\n".join(texts)
    while len(whole) < length:
        whole += "\n\n" + whole
    cut = whole.rfind("\n", 0, length)
    return whole[: cut if cut > length * 0.9 else length]


def pytest_terminal_summary(terminalreporter, config) -> None:
    session = getattr(config, "_benchmarksession", None)
    benchmarks = [b for b in getattr(session, "benchmarks", []) if "p95" in b.extra_info]
    if not benchmarks:
        return
    terminalreporter.section("percentiles of the raw rounds (ms)")
    for bench in benchmarks:
        info = bench.extra_info
        terminalreporter.write_line(
            f"{bench.name:44} p50 {info['p50'] * 1000:9.1f}   p95 {info['p95'] * 1000:9.1f}   "
            f"p99 {info['p99'] * 1000:9.1f}   n={info['n']}"
        )
