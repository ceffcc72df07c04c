"""The morning-of brief for a saved JD: gathered from the records, built, rendered, exported.

One flow for the CLI (`coach brief`) and the app (key b on Home and Decode). No model is
involved: the saved decode is the source of truth, and everything else is the user's own data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from coach import records
from coach.brief import Brief, ScoreRecord, build_brief
from coach.brief_render import brief_html, brief_markdown
from coach.jds import get_jd
from coach.services.decoding import load_decode
from coach.stories import links, list_stories
from models.embeddings import Embedder
from models.errors import InputError


def brief_for(db: Any, jd_id: int, *, embedder: Embedder | None = None) -> Brief:
    """The brief of a saved JD; an unknown id is an InputError (one line for the user).

    The embedder is used only when a JD saved before decodes were kept is decoded for the first time.
    """
    loaded = load_decode(db, jd_id, embedder=embedder)
    assert loaded.jd is not None
    ratings = {cid: row["confidence"] for cid, row in records.matrix_rows(db, jd_id).items()}
    stories = [(story, {link.cluster_id: link.score for link in links(db, story.id)})
               for story in list_stories(db) if story.id is not None]
    cluster_ids = [c.id for c in loaded.decode.clusters]
    scores = [ScoreRecord(r["cluster_id"], int(r["overall"]), float(r["scored_at"]), json.loads(r["rubric_json"] or "{}"))
              for r in records.scores_for_clusters(db, cluster_ids)] if cluster_ids else []
    return build_brief(jd_id=loaded.jd.id, title=loaded.jd.title, decode=loaded.decode, ratings=ratings,
                       stories=stories, scores=scores)


def needs_embedder(db: Any, jd_id: int) -> bool:
    """Whether the JD has no saved decode yet (saved before decodes were kept); an unknown id is an InputError."""
    get_jd(db, jd_id)
    return records.latest_decode(db, jd_id) is None


def latest_jd_id(db: Any) -> int | None:
    """The JD decoded most recently (Home's brief is of this one)."""
    row = records.latest_decode_of_any(db)
    return None if row is None else int(row["jd_id"])


def render(brief: Brief, *, html: bool = False) -> str:
    return brief_html(brief) if html else brief_markdown(brief)


def write_brief(brief: Brief, path: Path, *, html: bool = False) -> Path:
    """Write the brief to `path`; a directory that cannot be written is one line for the user."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(brief, html=html), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the brief to {path}: {exc.strerror or exc}") from None
    return path


def export_brief(brief: Brief, directory: Path) -> tuple[Path, Path]:
    """The brief as Markdown and as a printable HTML page, side by side in `directory`."""
    stem = f"brief-{brief.jd_id}"
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)  # as the data directory: the brief is personal
    except OSError as exc:
        raise InputError(f"cannot create {directory}: {exc.strerror or exc}") from None
    return (write_brief(brief, directory / f"{stem}.md"), write_brief(brief, directory / f"{stem}.html", html=True))
