"""`coach decode`, `coach jds`, `coach gaps`, `coach stories`: a JD, the matrix, the story bank."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tui.cli import EXIT_OK, embedder_or_none, open_context, read_text_file


def cmd_decode(args: argparse.Namespace) -> int:
    from coach.decode import decode
    from coach.render import decode_markdown

    text = read_text_file(args.file)
    store, db = open_context()
    embedder, note = (None, None) if args.lexical else embedder_or_none(store)
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

    _, db = open_context()
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

    store, db = open_context()
    jd = get_jd(db, args.jd_id)
    for cluster, value in _pairs(args.rate or [], "--rate"):
        if not value.isdigit():
            raise InputError(f"--rate {cluster}= takes a confidence from 1 to 5, not {value!r}")
        set_row(db, jd.id, cluster, confidence=int(value))
    for cluster, value in _pairs(args.evidence or [], "--evidence"):
        set_row(db, jd.id, cluster, evidence=value)
    embedder, _ = embedder_or_none(store)
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

    store, db = open_context()
    if args.action == "add":
        story = save_story(db, Story(args.title, args.situation or "", args.task or "", args.action_text or "",
                                     args.result or ""))
        embedder, note = embedder_or_none(store)
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
