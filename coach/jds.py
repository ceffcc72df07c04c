"""Job descriptions and their decodes, as the user keeps them."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

import sqlite_utils

from coach.decode import Decode, validate_jd
from models.errors import InputError


@dataclass(frozen=True, slots=True)
class SavedJD:
    id: int
    title: str
    text: str
    created_at: float


def default_title(text: str) -> str:
    first = next((line.strip(" #*-•\t") for line in text.splitlines() if line.strip(" #*-•\t")), "Untitled")
    return first[:70] + ("…" if len(first) > 70 else "")


def save_jd(db: sqlite_utils.Database, text: str, title: str | None = None) -> SavedJD:
    """Store a JD (the same text twice is one JD) and return it."""
    validate_jd(text)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    existing = list(db.query("select * from jds where sha256 = ?", [digest]))
    if existing:
        row = existing[0]
        if title and title != row["title"]:
            db["jds"].update(row["id"], {"title": title})
            row["title"] = title
        return SavedJD(row["id"], row["title"], row["text"], row["created_at"])
    row = {"title": title or default_title(text), "text": text, "sha256": digest, "created_at": time.time()}
    jd_id = db["jds"].insert(row).last_pk
    return SavedJD(int(jd_id), row["title"], text, row["created_at"])


def get_jd(db: sqlite_utils.Database, jd_id: int) -> SavedJD:
    try:
        row = db["jds"].get(jd_id)
    except sqlite_utils.db.NotFoundError:
        raise InputError(f"no saved job description with id {jd_id}") from None
    return SavedJD(row["id"], row["title"], row["text"], row["created_at"])


def list_jds(db: sqlite_utils.Database) -> list[SavedJD]:
    return [SavedJD(r["id"], r["title"], r["text"], r["created_at"])
            for r in db.query("select * from jds order by created_at desc, id desc")]


def save_decode(db: sqlite_utils.Database, jd_id: int, decode: Decode) -> int:
    row = {"jd_id": jd_id, "taxonomy_version": decode.taxonomy_version,
           "json": json.dumps(decode.to_dict()), "created_at": time.time()}
    return int(db["decodes"].insert(row).last_pk)
