"""Everything the user made, out (export) or gone (forget)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from coach import records
from models import kvstate

# The tables that hold what the user made, in the order a person would read them.
USER_TABLES = ("jds", "decodes", "matrix_rows", "stories", "story_links", "interviews", "interview_questions",
               "answers", "scores", "deliveries", "answers_duplicates", "bench_runs", "settings", "events")


def export_data(db: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"exported_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "tables": {}}
    for table in USER_TABLES:
        rows = records.table_rows(db, table)
        if rows is not None:
            data["tables"][table] = rows
    return data


def export_markdown(data: dict[str, Any]) -> str:
    tables = data["tables"]
    lines = [f"# coach export ({data['exported_at']})", ""]
    lines += ["## Job descriptions", ""]
    for jd in tables.get("jds", []):
        lines += [f"### #{jd['id']} {jd['title']}", "", "```", jd["text"], "```", ""]
    lines += ["## Competency matrix", ""]
    for row in tables.get("matrix_rows", []):
        lines.append(f"- JD #{row['jd_id']} · {row['cluster_id']}: confidence {row['confidence'] or 'unrated'}; "
                     f"evidence: {row['evidence'] or '—'}")
    lines += ["", "## Stories", ""]
    for story in tables.get("stories", []):
        lines += [f"### {story['title']}", ""]
        lines += [f"- **{f.capitalize()}:** {story[f]}" for f in ("situation", "task", "action", "result") if story[f]]
        lines.append("")
    lines += ["## Interview answers", ""]
    questions = {(q["interview_id"], q["idx"]): q for q in tables.get("interview_questions", [])}
    scores = {s["answer_id"]: s for s in tables.get("scores", [])}
    for answer in tables.get("answers", []):
        question = questions.get((answer["interview_id"], answer["idx"]), {})
        score = scores.get(answer["id"])
        lines += [f"### Interview {answer['interview_id']}, question {answer['idx'] + 1}: {question.get('text', '')}",
                  "", answer["text"] or "(empty)", ""]
        if score:
            rubric = json.loads(score["rubric_json"])
            lines += [f"Score {score['overall']}/5. " + " ".join(rubric.get("rationale", [])), ""]
    return "\n".join(lines) + "\n"


def write_export(db: Any, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    data = export_data(db)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    json_path = directory / f"coach-export-{stamp}.json"
    md_path = directory / f"coach-export-{stamp}.md"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    md_path.write_text(export_markdown(data), encoding="utf-8")
    return json_path, md_path


def forget(data_dir: Path, *, keep_models: bool = True) -> list[Path]:
    """Delete the database (and its WAL), exports, kept recordings, benchmark results and saved JD prefixes (their
    token ids spell the JD); models stay unless asked."""
    removed = []
    for name in ("coach.db", "coach.db-wal", "coach.db-shm"):
        path = data_dir / name
        if path.exists():
            path.unlink()
            removed.append(path)
    # "audio": spoken answers the user chose to keep.
    for name in ("exports", "bench", "bench-profiles", "audio", kvstate.DIR_NAME) + (() if keep_models else ("models",)):
        path = data_dir / name
        if path.exists():
            shutil.rmtree(path)
            removed.append(path)
    return removed
