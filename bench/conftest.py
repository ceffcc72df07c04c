"""Acceptance benchmarks: run with `bash scripts/bench.sh` (not part of the default test run).

pytest-benchmark times each round; we compute p50/p95/p99 ourselves from its raw data
(it reports no p95) and assert against targets.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


RESULTS: list[dict] = []
CALIBRATION: dict[str, dict[str, float]] = {}
BENCH_MODELS = "gemma-3-270m-q4_k_m,qwen2.5-coder-1.5b-instruct-q4_k_m"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("coach bench")
    group.addoption("--profile", default="dev-vm-2core", help="target-hardware profile whose thresholds to assert")
    group.addoption("--calibrate", default=None, metavar="NAME",
                    help="measure, assert nothing, and write profile NAME from the figures (× headroom)")
    group.addoption("--headroom", type=float, default=1.5, help="with --calibrate: threshold = measured × this")
    group.addoption("--bench-models", default=BENCH_MODELS, help="comma-separated model ids to benchmark")
    group.addoption("--warmup", type=int, default=1, help="generations before timing starts, not counted")
    group.addoption("--cooldown", type=float, default=0.0, help="idle seconds between repetitions")
    group.addoption("--budget", type=float, default=60.0,
                    help="seconds per benchmark after which repetitions stop even if the interval is still wide")
    group.addoption("--max-reps", type=int, default=8, help="most repetitions of one benchmark")
    group.addoption("--sweep", action="store_true",
                    help="also run the sweeps (bench/test_sweep.py): prompt lengths and context depths; opt-in")
    group.addoption("--record-expected", action="store_true",
                    help="store the greedy token ids of this run as the expected ones (read the output first)")


def pytest_collection_modifyitems(config, items) -> None:
    """The sweeps take minutes per model: left out unless asked for with --sweep."""
    if config.getoption("--sweep"):
        return
    sweeps = [item for item in items if item.nodeid.split("::")[0].endswith("test_sweep.py")]
    if sweeps:
        config.hook.pytest_deselected(items=sweeps)
        items[:] = [item for item in items if item not in sweeps]


def pytest_generate_tests(metafunc) -> None:
    if "model_id" in metafunc.fixturenames:
        ids = [m.strip() for m in metafunc.config.getoption("--bench-models").split(",") if m.strip()]
        metafunc.parametrize("model_id", ids, scope="module")


@pytest.fixture(scope="session")
def profile(request):
    from bench.harness import load_profile

    if request.config.getoption("--calibrate"):
        return None
    return load_profile(request.config.getoption("--profile"))


@pytest.fixture(scope="session")
def method(request):
    from bench.method import Method

    opt = request.config.getoption
    return Method(warmup=opt("--warmup"), cooldown_s=opt("--cooldown"), budget_s=opt("--budget"),
                  max_reps=opt("--max-reps"))


@pytest.fixture(scope="session")
def expected(request):
    from bench.verify import ExpectedIds

    return ExpectedIds(record=request.config.getoption("--record-expected"))


def gate(profile, model_id: str, key: str, estimate) -> str:
    """Judge a percentile (bench.method.Percentile) against the profile's limit by its interval: fail when
    the whole interval is past the limit; skip, saying so, when the sample cannot decide. Returns the verdict."""
    from bench.method import FAIL, PASS, judge

    if profile is None:
        CALIBRATION.setdefault(model_id, {})[key] = estimate.value
        return "calibrating"
    limit = profile.threshold(model_id, key)
    if limit is None:
        pytest.skip(f"profile {profile.name} sets no {key} for {model_id}")
    verdict = judge(estimate, limit)
    where = f"{model_id}: {key} {estimate.describe()} against {limit:.4g} (profile {profile.name})"
    assert verdict != FAIL, where
    if verdict != PASS:
        pytest.skip(f"NOT ENOUGH DATA to gate: {where}")
    return verdict


def check(profile, model_id: str, key: str, value: float, *, calibrate_key: str | None = None) -> None:
    """Assert a figure against the profile's threshold; when calibrating, remember it instead."""
    if profile is None:
        CALIBRATION.setdefault(model_id, {})[calibrate_key or key] = value
        return
    limit = profile.threshold(model_id, key)
    if limit is None:
        pytest.skip(f"profile {profile.name} sets no {key} for {model_id}")
    assert value <= limit, f"{model_id}: {key} {value:.4g} exceeds {limit:.4g} (profile {profile.name})"


def report(name: str, model_id: str | None, figures: dict, *, sha256: str | None = None,
           threads: int | None = None, samples: list[list[float]] | None = None, unit: str = "s",
           conditions_at_start: dict | None = None, interactions: list[dict] | None = None) -> None:
    """One result: figures, the fingerprint (what it ran on) with the conditions at its start and end, the
    raw samples per repetition when there are any (so that two runs can be compared with intervals), and the
    per-interaction records a goodput was computed from."""
    from bench.harness import conditions, fingerprint

    print_line = {k: v for k, v in figures.items() if not isinstance(v, dict | list)}
    print(f"\n{name} {model_id or ''}: {print_line}")
    fp = fingerprint(model_sha256=sha256, threads=threads)
    fp["conditions"] = {"start": conditions_at_start or conditions(), "end": conditions()}
    result = {"name": name, "model_id": model_id, "figures": figures, "fingerprint": fp}
    if samples:
        result |= {"samples": [[round(float(x), 7) for x in rep] for rep in samples], "unit": unit}
    if interactions:
        result["interactions"] = interactions
    RESULTS.append(result)


def pytest_sessionfinish(session, exitstatus) -> None:
    from bench.harness import save_results, write_profile

    path = save_results(RESULTS)
    if path is not None:
        session.config._bench_results_path = path
    name = session.config.getoption("--calibrate")
    if name and CALIBRATION:
        from models.build_flags import cpu_model

        session.config._bench_profile_path = write_profile(
            name, f"{cpu_model()}, {os.cpu_count()} cores (calibrated)", CALIBRATION,
            session.config.getoption("--headroom"))


def percentiles(samples: list[float]) -> dict[str, float]:
    data = np.asarray(samples, dtype=float)
    return {f"p{q}": float(np.percentile(data, q)) for q in (50, 95, 99)} | {"n": int(data.size)}


def record(benchmark, **figures: float) -> dict[str, float]:
    """Put our percentiles of the raw round times in extra_info; return them."""
    stats = percentiles(list(benchmark.stats.stats.data))
    benchmark.extra_info.update({k: round(v, 6) if isinstance(v, float) else v for k, v in stats.items()})
    benchmark.extra_info.update(figures)
    return stats


@pytest.fixture(scope="session")
def bench_home() -> Path:
    """The data directory the benchmarks use: yours (models are materialised once), or COACH_HOME."""
    from models.datadir import data_dir

    return data_dir()


@pytest.fixture(scope="session")
def store(bench_home: Path):  # noqa: ARG001 - resolves the data directory first
    from models.datadir import models_dir
    from models.store import ModelStore

    return ModelStore(models_dir=models_dir())


@pytest.fixture(scope="session")
def embedder(store):
    from models.loader import load_embedder

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
    for attr, label in (("_bench_results_path", "results written to"), ("_bench_profile_path", "profile written to")):
        if getattr(config, attr, None):
            terminalreporter.write_line(f"coach bench: {label} {getattr(config, attr)}")
    _summarise_results(terminalreporter)
    _summarise_goodput(terminalreporter)
    _summarise_sweeps(terminalreporter)
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


def _summarise_sweeps(terminalreporter) -> None:
    from bench.sweep import depth_table, prompt_table

    rows = [r for r in RESULTS if r["name"] in ("sweep_prompt_length", "sweep_context_depth")]
    if not rows:
        return
    terminalreporter.section("sweeps (medians with 95% order-statistic intervals)")
    for result in rows:
        f = result["figures"]
        cond = result["fingerprint"].get("conditions", {})
        loads = " → ".join(" ".join(cond.get(k, {}).get("loadavg", [])) for k in ("start", "end"))
        terminalreporter.write_line(f"{result['name']} {result['model_id']} (context {f['n_ctx']}, load {loads})")
        table = prompt_table if result["name"] == "sweep_prompt_length" else depth_table
        for line in table(f["points"]):
            terminalreporter.write_line("    " + line)
        terminalreporter.write_line(f"    plot: {f['plot']}")


def _summarise_goodput(terminalreporter) -> None:
    """The flows' headline: the share of interactions that met every target of the profile that applies to
    them, with its Wilson interval, then each measure's percentiles with their order-statistic intervals."""
    from bench.goodput import Goodput
    from bench.method import Percentile

    rows = [r for r in RESULTS if "goodput_n" in r["figures"]]
    if not rows:
        return
    terminalreporter.section("goodput: interactions that met every target that applies (profile)")
    for result in rows:
        f = result["figures"]
        headline = Goodput(f["goodput_good"], f["goodput_n"], *f["goodput_interval"], f["goodput_untargeted"])
        cond = result["fingerprint"].get("conditions", {}).get("start", {})
        terminalreporter.write_line(f"{result['name']} {result['model_id']} (profile {f.get('profile')}, "
                                    f"load {' '.join(cond.get('loadavg', []))}): {headline.describe()}")
        for variant, (good, n) in f["goodput_by_variant"].items():
            terminalreporter.write_line(f"    {variant:36} {good}/{n}")
        for key, count in f["goodput_misses"].items():
            terminalreporter.write_line(f"    missed {key} (≤ {f['goodput_targets'][key]:g} s): {count}")
        for key, estimates in f.get("estimates", {}).items():
            terminalreporter.write_line(f"    {key:34} " + "   ".join(
                Percentile(**e).describe(" s") for e in estimates.values()))


def _summarise_results(terminalreporter) -> None:
    """Each verified, repeated measurement: its percentiles with intervals and counts, and the conditions."""
    from bench.method import Percentile

    rows = [r for r in RESULTS if isinstance(r["figures"].get("percentiles"), dict)
            or isinstance(r["figures"].get("ttft_cold"), dict)]
    if not rows:
        return
    terminalreporter.section("percentiles with 95% intervals (order statistics)")
    for result in rows:
        figures = result["figures"]
        estimates = figures.get("percentiles") or figures.get("ttft_cold")
        cond = result["fingerprint"].get("conditions", {}).get("start", {})
        terminalreporter.write_line(f"{result['name']} {result['model_id']} ({figures.get('repetitions')} repetitions, "
                                    f"{figures.get('stop', '')}; load {' '.join(cond.get('loadavg', []))})")
        for estimate in estimates.values():
            terminalreporter.write_line("    " + Percentile(**estimate).describe(" ms", 1000))
        throttle = figures.get("throttle")
        if throttle and throttle.get("slope_pct_per_min") is not None:
            flag = "  DROPPING: throttling or a neighbour?" if throttle["flagged"] else ""
            terminalreporter.write_line(f"    tokens/s drift {throttle['slope_pct_per_min']:+.2f}%/min "
                                        f"{throttle['ci']}{flag}")


@pytest.fixture(scope="module")
def manifest(store, model_id):
    manifest = store.registry.get(model_id)
    store.materialize(manifest)
    return manifest


@pytest.fixture(scope="module")
def model(store, manifest):
    from models.loader import load_text_model

    loaded = load_text_model(store, manifest)
    yield loaded
    loaded.close()
