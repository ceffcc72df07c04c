"""`coach bench`, `coach quantize ...`, `coach export`, `coach forget`: tools for engineers and for your data."""

from __future__ import annotations

import argparse
import sys

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
    if compare is not None and len(compare) not in (0, 2):
        raise CoachError("--compare takes no run (the last against the previous) or two run files A B")
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

