"""`coach brief JD_ID`: the morning-of brief of a saved JD, as Markdown or a printable HTML page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.cli import EXIT_OK, embedder_or_none, open_context


def cmd_brief(args: argparse.Namespace) -> int:
    from coach.services.briefing import brief_for, needs_embedder, render, write_brief

    store, db = open_context()
    embedder = embedder_or_none(store)[0] if needs_embedder(db, args.jd_id) else None
    brief = brief_for(db, args.jd_id, embedder=embedder)
    if args.out:
        path = write_brief(brief, Path(args.out).expanduser(), html=args.html)
        print(f"wrote {path}", file=sys.stderr)
    else:
        print(render(brief, html=args.html), end="")
    return EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("brief", help="the morning-of brief of a saved JD: the role, what they score, likely "
                       "questions with a plan, your weak spots, red flags")
    p.add_argument("jd_id", type=int, metavar="JD_ID", help="a saved JD (`coach jds` lists them)")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--html", action="store_true", help="a self-contained, printable HTML page instead of Markdown")
    p.set_defaults(func=cmd_brief)
