"""Two model files, or two builds, measured in one run: rounds interleaved A B A B.

Each round is a fresh process (bench.model_run: its own peak RSS, its own llama.cpp threads) that verifies
the model's sha256, loads it, warms it up on unrelated words and streams one greedy generation of the
interview prompt, whose token ids are checked against bench/expected where ids are stored for that file.
Interleaving puts both sides under the same drift of the machine (a neighbour arriving, a clock falling):
run one side after the other and a change of load reads as a difference between the sides.

The ratios (B / A) and their bootstrap intervals come from bench.compare, resampling whole rounds; the run
is stored like any other in `<data dir>/bench/`, so it can be compared again.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.compare import Ratio, result_ratios, write_distributions
from models.errors import InputError

VERIFIED, UNVERIFIED, FAILED = "verified", "UNVERIFIED", "FAILED verification"
MIN_ROUNDS = 5  # fewer rounds per side cannot bound a ratio of medians with a bootstrap
TOKENS = 256  # the length bench/expected stores ids for
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True, kw_only=True)
class Side:
    label: str  # "A" or "B"
    name: str  # what the report calls it
    python: str  # the interpreter (the build) that runs its rounds
    model_id: str  # a registry id, or the file's stem for a file outside the registry
    sha256: str
    file: Path | None = None  # set for a model given by path: loaded only if it still hashes to sha256
    registered: bool = True

    def describe(self) -> str:
        where = f"file {self.file}" if self.file else "registered model"
        pin = "" if self.registered else " (unregistered: pinned to this sha256, re-checked in every round)"
        return f"{self.label}: {self.name} — {where}, sha256 {self.sha256}{pin}; python {self.python}"


@dataclass(frozen=True, slots=True)
class Slot:
    side: str
    round: int  # 1-based: the warm-ups count 1.. on their own, then the counted rounds 1..
    counted: bool


def schedule(rounds: int, warmup: int) -> list[Slot]:
    """A B A B …: the warm-up pairs first (not counted), then the counted ones."""
    return ([Slot(side, n + 1, False) for n in range(warmup) for side in ("A", "B")]
            + [Slot(side, n + 1, True) for n in range(rounds) for side in ("A", "B")])


# -- naming the two sides ------------------------------------------------------------------------------
def resolve_model(spec: str, store: Any, *, say: Callable[[str], None] = print) -> tuple[str, str, Path | None, bool]:
    """(model id, sha256, file or None, registered) for a registry id or a GGUF path. A path is hashed here;
    one whose sha256 a manifest names is that model; any other is unregistered and pinned to the sha256
    printed now (and to the sha256 its quantize recipe records, when one lies beside it)."""
    from models.errors import UnknownModelError
    from models.store import sha256_file

    try:
        manifest = store.registry.get(spec)
    except UnknownModelError:
        manifest = None
    if manifest is not None:
        if manifest.kind != "llm" or manifest.sha256 is None:
            raise InputError(f"'{spec}' is not a text model with a sha256 to check, so it cannot be benchmarked")
        return manifest.id, manifest.sha256, None, True
    path = Path(spec).expanduser()
    if not path.is_file():
        known = ", ".join(m.id for m in store.registry.all("llm"))
        raise InputError(f"'{spec}' is neither a model id nor a file", hint=f"ids: {known}")
    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise InputError(f"{path} is not a GGUF model file")
    say(f"hashing {path} …")
    sha = sha256_file(path)
    for known in store.registry.all("llm"):
        if known.sha256 == sha:
            say(f"{path.name}: sha256 {sha} is registered model {known.id}")
            return known.id, sha, path.resolve(), True
    recipe = path.with_name(path.name + ".recipe.json")
    if recipe.is_file():
        pinned = json.loads(recipe.read_text(encoding="utf-8")).get("output_sha256")
        if pinned and pinned != sha:
            raise InputError(f"{path.name} hashes to {sha[:12]}… but its recipe records {pinned[:12]}…: "
                             "the file changed after it was made")
    say(f"{path.name}: UNREGISTERED, sha256 {sha} (every round refuses the file unless it still hashes to this)")
    return path.stem, sha, path.resolve(), False


def check_python(python: str) -> str:
    """The llama-cpp-python version an interpreter imports; a one-line error when it cannot run a round."""
    if not Path(python).is_file():
        raise InputError(f"no Python interpreter at {python}")
    probe = "import importlib.metadata as m, numpy, llama_cpp; print(m.version('llama-cpp-python'))"
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT)
    except OSError as exc:
        raise InputError(f"{python} cannot be run: {exc.strerror}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise InputError(f"{python} cannot run a round: {last}",
                         hint="it needs llama-cpp-python and numpy (a venv made by scripts/install.sh)")
    return done.stdout.strip()


def sides_for_models(a: str, b: str, store: Any, *, say: Callable[[str], None] = print) -> tuple[Side, Side]:
    out = []
    for label, spec in (("A", a), ("B", b)):
        model_id, sha, file, registered = resolve_model(spec, store, say=say)
        name = model_id if file is None or registered else file.name
        out.append(Side(label=label, name=name, python=sys.executable, model_id=model_id, sha256=sha, file=file,
                        registered=registered))
    return out[0], out[1]


def sides_for_builds(a: str, b: str, model: str, store: Any, *,
                     say: Callable[[str], None] = print) -> tuple[Side, Side]:
    model_id, sha, file, registered = resolve_model(model, store, say=say)
    out = []
    for label, python in (("A", a), ("B", b)):
        version = check_python(python)
        out.append(Side(label=label, name=f"{model_id} · llama-cpp-python {version}", python=python,
                        model_id=model_id, sha256=sha, file=file, registered=registered))
    return out[0], out[1]


# -- the run -------------------------------------------------------------------------------------------
Runner = Callable[..., dict[str, Any]]


def run_round(side: Side, *, tokens: int, threads: int | None, timeout_s: float) -> dict[str, Any]:
    from bench.model_run import run_in_subprocess

    return run_in_subprocess(side.model_id, threads=threads, tokens=tokens, reps=1, timeout_s=timeout_s,
                             python=side.python, file=side.file, sha256=side.sha256, exact_prompt=True)


@dataclass(slots=True)
class Comparison:
    a: Side
    b: Side
    rounds: dict[str, list[dict[str, Any]]]  # side -> counted round records, in order
    order: list[Slot]
    verified: dict[str, str]  # side -> VERIFIED, UNVERIFIED (no stored ids) or FAILED …: (ids differ)
    same_ids: dict[str, bool]  # side -> every round produced the same ids
    tokens: int = TOKENS
    conditions: dict[str, Any] = field(default_factory=dict)


def run_comparison(a: Side, b: Side, *, rounds: int = MIN_ROUNDS, warmup: int = 1, cooldown_s: float = 0.0,
                   tokens: int = TOKENS, threads: int | None = None, timeout_s: float = 300.0,
                   runner: Runner = run_round, expected: Any = None, say: Callable[[str], None] = print,
                   sleep: Callable[[float], None] = time.sleep) -> Comparison:
    """Every slot of schedule() in order, each round's ids checked: a side whose ids differ from the stored
    ones is FAILED (measured on, so the user sees the figures and why they fail); the counted rounds kept."""
    from bench.harness import conditions
    from bench.verify import ExpectedIds, NoExpectedIds
    from models.measure import INTERVIEW_PROMPT

    if rounds < MIN_ROUNDS:
        raise InputError(f"--rounds must be at least {MIN_ROUNDS}: fewer cannot bound a ratio")
    expected = expected or ExpectedIds(record=False)
    sides = {"A": a, "B": b}
    kept: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    verified = {"A": VERIFIED, "B": VERIFIED}
    first_ids: dict[str, list[int]] = {}
    same_ids = {"A": True, "B": True}
    order = schedule(rounds, warmup)
    start = conditions()
    say(f"{len(order)} rounds, A B A B, each a fresh process generating {tokens} greedy tokens: {warmup} warm-up "
        f"pair(s) not counted, then {rounds} pairs; load average {' '.join(start['loadavg'])}")
    for i, slot in enumerate(order):
        if i and cooldown_s > 0:
            sleep(cooldown_s)
        side = sides[slot.side]
        record = runner(side, tokens=tokens, threads=threads, timeout_s=timeout_s)
        ids = record["token_ids"][0]
        try:
            expected.check(model_sha256=side.sha256, model_id=side.name, prompt=INTERVIEW_PROMPT, max_tokens=tokens,
                           ids=ids)
        except NoExpectedIds:
            verified[slot.side] = UNVERIFIED
        except AssertionError as exc:
            # Measured on, and reported as a failure: the user waited for these rounds and sees why.
            if not verified[slot.side].startswith(FAILED):
                which = f"round {slot.round}" if slot.counted else f"warm-up {slot.round}"
                verified[slot.side] = f"{FAILED} at {which}: {exc}"
        same_ids[slot.side] &= first_ids.setdefault(slot.side, ids) == ids
        if slot.counted:
            kept[slot.side].append(record)
        say(progress_line(slot, rounds, record, verified[slot.side]))
    return Comparison(a, b, kept, order, verified, same_ids, tokens, {"start": start, "end": conditions()})


def progress_line(slot: Slot, rounds: int, record: dict[str, Any], verified: str) -> str:
    import statistics

    gaps = record["gaps_s"]
    which = f"round {slot.round}/{rounds}" if slot.counted else f"warm-up {slot.round} (not counted)"
    return (f"{slot.side} {which}: first token "
            f"{record['ttft_s'][0]:.3f} s, inter-token median {statistics.median(gaps) * 1000:.1f} ms, "
            f"peak RSS {record['peak_rss_bytes'] / 1e6:.0f} MB, {verified.split(' at ')[0]}, "
            f"load {' '.join(str(x) for x in record['loadavg'][-1])}")


# -- the figures ---------------------------------------------------------------------------------------
# (name, unit, statistics, samples of one round): each a list per round, so the bootstrap resamples rounds.
METRICS: tuple[tuple[str, str, tuple[str, ...], Callable[[dict[str, Any]], list[float]]], ...] = (
    ("ab_time_to_first_token", "s", ("p50",), lambda r: list(r["ttft_s"])),
    ("ab_inter_token_latency", "s", ("p50", "p95"), lambda r: list(r["gaps_s"])),
    ("ab_prompt_tokens_per_s", "tokens/s", ("p50",), lambda r: list(r["prompt_tokens_per_s"])),
    ("ab_peak_rss", "MB", ("p50",), lambda r: [r["peak_rss_bytes"] / 1e6]),
    ("ab_load", "s", ("p50",), lambda r: [r["load_s"]]),
)


def side_results(comparison: Comparison) -> list[dict[str, Any]]:
    """Per side and metric, a result as the harness stores them: samples per round, the figures
    `coach bench --compare` (the last run against the previous) reads, and a fingerprint of that side's build."""
    import numpy as np

    from models.fingerprint import fingerprint

    out = []
    for side in (comparison.a, comparison.b):
        records = comparison.rounds[side.label]
        fp = fingerprint(model_sha256=side.sha256, threads=records[0]["threads"])
        fp["packages"]["llama-cpp-python"] = records[0]["llama_cpp"]
        fp["python_executable"] = side.python
        # Another interpreter is another build: its own fingerprint, so runs compare per build.
        fp["id"] = hashlib.sha256(json.dumps({k: v for k, v in fp.items() if k != "id"},
                                             sort_keys=True).encode()).hexdigest()[:16]
        for name, unit, stats, samples in METRICS:
            reps = [samples(r) for r in records]
            flat = np.concatenate([np.asarray(r, dtype=float) for r in reps])
            figures = {"p50": float(np.percentile(flat, 50)), "rounds": len(reps),
                       "verified": comparison.verified[side.label]}
            if name == "ab_inter_token_latency":
                figures |= {"p50_ms": figures["p50"] * 1000, "p95_ms": float(np.percentile(flat, 95)) * 1000}
            out.append({"name": name, "model_id": f"{side.label}: {side.name}", "side": side.label, "unit": unit,
                        "statistics": list(stats), "samples": reps, "figures": figures, "fingerprint": fp})
    return out


def side_ratios(results: list[dict[str, Any]]) -> list[Ratio]:
    """B / A for each metric of one interleaved run (a fresh run, or a stored one read again)."""
    by_side: dict[str, dict[str, dict[str, Any]]] = {"A": {}, "B": {}}
    for result in results:
        if result.get("side") in by_side:
            by_side[result["side"]][result["name"]] = result
    names = [n for n in by_side["A"] if n in by_side["B"]]
    return [r for n in names for r in result_ratios(n, "", by_side["A"][n], by_side["B"][n], scalars=False)]


def save(comparison: Comparison, *, plot: Path | None = None) -> tuple[Path, Path, list[Ratio]]:
    """The run JSON (with its ratios) and the plot of both inter-token distributions."""
    from bench.harness import results_dir, save_results

    results = side_results(comparison)
    ratios = side_ratios(results)
    summary = {"a": _side_dict(comparison.a), "b": _side_dict(comparison.b),
               "order": [f"{s.side}{s.round}{'' if s.counted else 'w'}" for s in comparison.order],
               "tokens": comparison.tokens, "verified": comparison.verified, "same_ids_every_round": comparison.same_ids,
               "conditions": comparison.conditions, "ratios": [asdict(r) | {"verdict": r.verdict} for r in ratios]}
    path = save_results(results, extra={"interleaved": summary})
    assert path is not None
    plot = plot or results_dir() / f"{path.stem.replace('run-', 'ab-')}.svg"
    write_plot(results, plot)
    return path, plot, ratios


def write_plot(results: list[dict[str, Any]], path: Path) -> None:
    """Both sides' inter-token latency distributions (a fresh run's, or a stored one's)."""
    write_distributions(path, {r["model_id"]: r["samples"] for r in results if r["name"] == "ab_inter_token_latency"},
                        width=800, title="Inter-token latency, A and B interleaved (cumulative)")


def _side_dict(side: Side) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(side).items()}


def report_lines(comparison: Comparison, ratios: list[Ratio]) -> list[str]:
    c = comparison
    lines = [c.a.describe(), c.b.describe(),
             f"{len(c.rounds['A'])} rounds per side, interleaved A B A B, each a fresh process; load average "
             f"{' '.join(c.conditions['start']['loadavg'])} at the start, {' '.join(c.conditions['end']['loadavg'])} "
             "at the end",
             "ratios B/A with 95% bootstrap intervals resampling rounds; 'real' where the interval excludes 1"]
    lines += [r.line() for r in ratios]
    for side in (c.a, c.b):
        status = c.verified[side.label]
        if status.startswith(FAILED):
            lines.append(f"{side.label} {status} (another build, CPU or --threads can part at a near-tie: read the "
                         "output, then `coach bench --record-expected`); its figures are of a wrong output")
        if status == UNVERIFIED:
            lines.append(f"{side.label} UNVERIFIED: bench/expected stores no token ids for this file (sha256 "
                         f"{side.sha256[:16]}) at {c.tokens} tokens, so its outputs were not checked (a fast wrong "
                         "build would look fast)"
                         + ("" if c.same_ids[side.label] else "; its ids even differed between rounds"))
    return lines
