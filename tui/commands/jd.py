"""`coach decode`, `coach jds`, `coach gaps`, `coach stories`: a JD, the matrix, the story bank."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tui.cli import EXIT_OK, embedder_or_none, load_model, open_context, read_text_file


def cmd_decode(args: argparse.Namespace) -> int:
    from coach.render import decode_markdown
    from coach.services.decoding import decode_and_save

    text = read_text_file(args.file)
    store, db = open_context()
    embedder, note = (None, None) if args.lexical else embedder_or_none(store)
    decoded = decode_and_save(db, text, embedder=embedder, title=args.title, save=args.save)
    result = decoded.decode
    if note:
        result.notes.append(note)
    if decoded.jd is not None:
        print(f"saved as job description {decoded.jd.id}", file=sys.stderr)
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

    from coach.render import flavor_line, level_line

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
    console.print(Text.assemble(("Level: ", "bold"), f"{level_line(result.level)} — {result.level.reason}"))
    console.print(Text.assemble(("Flavor: ", "bold"), flavor_line(result.flavor)))

def _stream_read(store: Any, db: Any, result: Any) -> None:
    from coach.read import (
        MODEL_SLOTS,
        QUESTIONS_SLOT,
        ReadNotice,
        SlotDone,
        SlotStarted,
        SlotText,
        plan_likely,
        stream_read,
    )

    def show(events: Any) -> None:
        for event in events:
            if isinstance(event, ReadNotice):
                print(f"  note: {event.text}")
            elif isinstance(event, SlotStarted):
                print(f"  {event.slot.title}: ", end="", flush=True)
            elif isinstance(event, SlotText):
                print(event.text, end="", flush=True)
            elif isinstance(event, SlotDone):
                print()

    print("\nThe coach's read:", flush=True)
    if not result.clusters:
        print("  No competencies were found, so there is nothing to read into.")
        return
    likely = plan_likely(result)  # one plan for both halves of the read
    show(stream_read(None, result, slots=(QUESTIONS_SLOT,), likely=likely))  # from the decode: before the model loads
    model = load_model(store, db)
    try:
        show(stream_read(model, result, slots=MODEL_SLOTS, likely=likely))
    finally:
        model.close()

def cmd_jds(args: argparse.Namespace) -> int:
    import datetime

    from coach.jds import list_jds

    store, db = open_context()
    if args.redecode is not None:
        from coach.services.decoding import redecode

        embedder, _ = embedder_or_none(store)
        decoded, changes = redecode(db, args.redecode, embedder=embedder)
        print(f"decoded “{decoded.jd.title}” again: " + ("; ".join(changes) if changes else "nothing changed"))
        return EXIT_OK
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
    from coach.matrix import build_matrix, evidence_text, matrix_markdown, set_row
    from coach.services.decoding import load_decode
    from models.errors import InputError

    store, db = open_context()
    embedder, _ = embedder_or_none(store)
    loaded = load_decode(db, args.jd_id, embedder=embedder)
    jd = loaded.jd
    for cluster, value in _pairs(args.rate or [], "--rate"):
        if not value.isdigit():
            raise InputError(f"--rate {cluster}= takes a confidence from 1 to 5, not {value!r}")
        set_row(db, jd.id, cluster, confidence=int(value))
    for cluster, value in _pairs(args.evidence or [], "--evidence"):
        set_row(db, jd.id, cluster, evidence=value)
    rows = build_matrix(db, jd.id, loaded.decode)
    if args.md:
        print(matrix_markdown(rows, jd.title), end="")
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"Competency matrix: {jd.title}"), title_justify="left")
    for column in ("cluster", "weight", "my evidence", "confidence", "priority"):
        table.add_column(column)
    for row in rows:
        # User text goes in as Text: an evidence note like "[/]" is shown, never parsed as markup.
        table.add_row(Text.assemble(row.name, (f" ({row.cluster_id})", "dim")), f"{row.weight:g}",
                      Text(evidence_text(row) or "—"), str(row.confidence or "unrated"),
                      Text.assemble(f"{row.priority:g}", (" ← this week" if row.this_week else "", "bold red")))
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
    model = None if args.no_model else load_model(store, db)
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
