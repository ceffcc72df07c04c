"""Job descriptions and their decodes, as the user keeps them.

The saved decode is the source of truth for everything built on a JD (the matrix, the
interview plan, the brief): it is loaded, not recomputed, so the clusters a matrix row is
keyed by cannot drift when the embedder or the taxonomy changes. Re-decoding is an explicit
action (`coach.services.decoding.redecode`) that says what changed.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from coach import records
from coach.decode import Decode, validate_jd
from models.errors import InputError


@dataclass(frozen=True, slots=True)
class SavedJD:
    id: int
    title: str
    text: str
    created_at: float


def _saved(row: dict[str, Any]) -> SavedJD:
    return SavedJD(int(row["id"]), row["title"], row["text"], row["created_at"])


def default_title(text: str) -> str:
    first = next((line.strip(" #*-•\t") for line in text.splitlines() if line.strip(" #*-•\t")), "Untitled")
    return first[:70] + ("…" if len(first) > 70 else "")


def save_jd(db: Any, text: str, title: str | None = None) -> SavedJD:
    """Store a JD (the same text twice is one JD) and return it."""
    validate_jd(text)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    existing = records.jd_by_sha(db, digest)
    if existing:
        if title and title != existing["title"]:
            records.set_jd_title(db, existing["id"], title)
            existing["title"] = title
        return _saved(existing)
    title = title or default_title(text)
    now = time.time()
    jd_id = records.insert_jd(db, title=title, text=text, sha256=digest, created_at=now)
    return SavedJD(jd_id, title, text, now)


def get_jd(db: Any, jd_id: int) -> SavedJD:
    row = records.jd_row(db, jd_id)
    if row is None:
        raise InputError(f"no saved job description with id {jd_id}", hint="`coach jds` lists them")
    return _saved(row)


def list_jds(db: Any) -> list[SavedJD]:
    return [_saved(r) for r in records.jd_rows(db)]


def save_decode(db: Any, jd_id: int, decode: Decode) -> int:
    return records.insert_decode(db, jd_id=jd_id, taxonomy_version=decode.taxonomy_version,
                                 decode_json=json.dumps(decode.to_dict(include_units=True)))


def saved_decode(db: Any, jd_id: int) -> Decode | None:
    """The latest decode saved for this JD, as it was made; None if it was never decoded."""
    row = records.latest_decode(db, jd_id)
    if row is None:
        return None
    return Decode.from_dict(json.loads(row["json"]), get_jd(db, jd_id).text)
