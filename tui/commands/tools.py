"""`coach bench`, `coach quantize ...`, `coach export`, `coach forget`: tools for engineers and for your data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from models.errors import CoachError
from tui.cli import EXIT_OK, open_context, print_error, progress_bar


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the acceptance benchmarks (bench/, pytest-benchmark) and assert them against a profile."""
    import subprocess
    from pathlib import Path

    import bench
    from bench.harness import compare_last

    if args.predict:
        from bench.tiers import report

        if args.threads is not None and args.threads < 1:
            raise CoachError("--threads must be at least 1")
        model_ids = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
        print("\n".join(report(threads=args.threads, model_ids=model_ids)))
        return EXIT_OK
    compare = args.compare
    if args.sweep and args.quick:
        raise CoachError("--sweep and --quick select different benchmarks: use one")
    if args.compare_builds or (compare and not all(c.endswith(".json") for c in compare)):
        return _compare_interleaved(args)
    if compare is not None and len(compare) not in (0, 1, 2):
        raise CoachError("--compare takes no run (the last against the previous), one interleaved run file, "
                         "two run files A B, or two model ids / GGUF files A B")
    if compare and len(compare) == 1:
        return _interleaved_again(Path(compare[0]), Path(args.plot) if args.plot else None)
    if compare and len(compare) == 2:
        from bench.compare import compare_runs, report_lines

        paths = [Path(c) for c in compare]
        for path in paths:
            if not path.is_file():
                raise CoachError(f"no such benchmark run: {path}", hint="runs are in <data dir>/bench/run-*.json")
        plot = Path(args.plot) if args.plot else None
        print("\n".join(report_lines(paths[0], paths[1], compare_runs(paths[0], paths[1], plot=plot))))
        if plot:
            print(f"plot: {plot}")
        return EXIT_OK
    if compare is not None and not (args.calibrate or args.run):
        _, db = open_context()
        lines = compare_last(db)
        print("\n".join(lines) if lines else "no benchmark results yet: run `coach bench`")
        return EXIT_OK
    bench_dir = Path(bench.__file__).parent
    command = [sys.executable, "-m", "pytest", str(bench_dir), "-p", "no:cacheprovider", "-q",
               "--benchmark-columns=min,median,max,rounds", f"--profile={args.profile}",
               f"--cooldown={args.cooldown}", f"--budget={args.budget}"]
    if args.record_expected:
        command.append("--record-expected")
    if args.calibrate:
        command += [f"--calibrate={args.calibrate}", f"--headroom={args.headroom}"]
    if args.models:
        command.append(f"--bench-models={args.models}")
    if args.quick:
        command += ["-k", "decode or submit_to_score or (runtime_speed and gemma)"]
    if args.sweep:
        command += ["--sweep", "-k", "sweep"]
    code = subprocess.call(command, cwd=bench_dir.parent)
    if compare is not None:
        _, db = open_context()
        print("\n".join(compare_last(db)))
    if code not in (0, 1):
        raise CoachError(f"the benchmark run could not start (pytest exit {code})")
    if code == 1:
        print_error(f"some benchmarks missed the thresholds of profile '{args.profile}' (see above)")
    return code

def _compare_interleaved(args: argparse.Namespace) -> int:
    """Two model files, or two builds on one model, in one run with rounds interleaved (bench.interleave)."""
    from bench import interleave

    if args.compare_builds and args.compare:
        raise CoachError("--compare and --compare-builds are two comparisons: use one")
    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else []
    if args.compare_builds and len(models) != 1:
        raise CoachError("--compare-builds needs one model: --models ID (or a GGUF file)")
    if args.compare and (len(args.compare) != 2 or any(c.endswith(".json") for c in args.compare)):
        raise CoachError("--compare with models takes two model ids or GGUF files A B (not run files)")
    if args.compare and models:
        raise CoachError("--models is for --compare-builds; --compare A B names the two models itself")
    if args.rounds < interleave.MIN_ROUNDS:
        raise CoachError(f"--rounds must be at least {interleave.MIN_ROUNDS}: fewer cannot bound a ratio")
    if args.tokens < 2:
        raise CoachError("--tokens must be at least 2: an inter-token gap needs two tokens")
    if args.warmup < 0 or args.cooldown < 0:
        raise CoachError("--warmup and --cooldown cannot be negative")
    if args.threads is not None and args.threads < 1:
        raise CoachError("--threads must be at least 1")
    store, _ = open_context()
    say = lambda line: print(line, flush=True)  # noqa: E731 - the user waits minutes: each round as it ends
    if args.compare_builds:
        a, b = interleave.sides_for_builds(*args.compare_builds, models[0], store, say=say)
    else:
        a, b = interleave.sides_for_models(*args.compare, store, say=say)
    say(a.describe())
    say(b.describe())
    comparison = interleave.run_comparison(a, b, rounds=args.rounds, warmup=args.warmup, cooldown_s=args.cooldown,
                                           tokens=args.tokens, threads=args.threads, say=say)
    path, plot, ratios = interleave.save(comparison, plot=Path(args.plot) if args.plot else None)
    print("\n".join(interleave.report_lines(comparison, ratios)))
    print(f"run: {path}\nplot: {plot}")
    failed = [k for k, v in comparison.verified.items() if v.startswith(interleave.FAILED)]
    if failed:
        print_error(f"side {' and '.join(failed)} failed verification: its greedy output is not the stored one")
        return 1
    return EXIT_OK


def _interleaved_again(path: Path, plot: Path | None) -> int:
    """A stored interleaved run's ratios, computed again from its samples."""
    import json

    from bench.interleave import side_ratios, write_plot

    if not path.is_file():
        raise CoachError(f"no such benchmark run: {path}", hint="runs are in <data dir>/bench/run-*.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise CoachError(f"{path} is not a benchmark run file") from None
    if not isinstance(data, dict) or "interleaved" not in data:
        raise CoachError(f"{path} is not an interleaved comparison: give two run files A B to compare runs")
    info = data["interleaved"]
    print(f"A: {info['a']['name']} (sha256 {info['a']['sha256']})\nB: {info['b']['name']} (sha256 "
          f"{info['b']['sha256']})\nratios B/A with 95% bootstrap intervals resampling rounds")
    print("\n".join(r.line() for r in side_ratios(data["results"])))
    if plot:
        write_plot(data["results"], plot)
        print(f"plot: {plot}")
    return EXIT_OK


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
    what = "everything you made (JDs, matrix, stories, interviews, scores, kept recordings, benchmark results)"
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
    from quantize.cli import check

    return check(args)

def cmd_quantize_embedder(args: argparse.Namespace) -> int:
    from quantize.cli import embedder

    return embedder(args)

