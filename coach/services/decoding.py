"""Decode a JD and keep it; load the saved decode; re-decode on request and say what changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coach.decode import Decode, decode
from coach.jds import SavedJD, get_jd, save_decode, save_jd, saved_decode
from models.embeddings import Embedder


@dataclass(frozen=True, slots=True)
class Decoded:
    jd: SavedJD | None  # None when the text had no competency: nothing is saved for it
    decode: Decode


def decode_and_save(db: Any, text: str, *, embedder: Embedder | None, title: str | None = None,
                    save: bool = True) -> Decoded:
    """Decode; keep the JD and its decode when it is one (a text with no competency is not kept)."""
    result = decode(text, title=title, embedder=embedder)
    if not save or not result.clusters:
        return Decoded(None, result)
    jd = save_jd(db, text, title)
    save_decode(db, jd.id, result)
    return Decoded(jd, result)


def load_decode(db: Any, jd_id: int, *, embedder: Embedder | None) -> Decoded:
    """The JD's saved decode; a JD saved before decodes were kept is decoded once and saved."""
    jd = get_jd(db, jd_id)
    saved = saved_decode(db, jd_id)
    if saved is None:
        saved = decode(jd.text, embedder=embedder)
        save_decode(db, jd.id, saved)
    return Decoded(jd, saved)


def changes(old: Decode, new: Decode) -> list[str]:
    """What a re-decode changed, in words a user can act on (their matrix is keyed by cluster)."""
    out = []
    before = {c.id: c for c in old.clusters}
    after = {c.id: c for c in new.clusters}
    for cid in after.keys() - before.keys():
        out.append(f"new cluster: {after[cid].name} (weight {after[cid].weight:g})")
    for cid in before.keys() - after.keys():
        out.append(f"cluster gone: {before[cid].name} (your ratings for it stay stored)")
    for cid in before.keys() & after.keys():
        if before[cid].weight != after[cid].weight:
            out.append(f"{after[cid].name}: weight {before[cid].weight:g} → {after[cid].weight:g}")
    if old.level.value != new.level.value:
        out.append(f"level: {old.level.value} → {new.level.value}")
    if old.flavor.value != new.flavor.value:
        out.append(f"flavor: {old.flavor.value} → {new.flavor.value}")
    if old.taxonomy_version != new.taxonomy_version:
        out.append(f"taxonomy {old.taxonomy_version} → {new.taxonomy_version}")
    return out


def redecode(db: Any, jd_id: int, *, embedder: Embedder | None) -> tuple[Decoded, list[str]]:
    """Decode the saved JD again with the current models and taxonomy; save it and list what changed."""
    before = load_decode(db, jd_id, embedder=embedder)
    after = decode(before.decode.text, embedder=embedder)
    save_decode(db, jd_id, after)
    return Decoded(before.jd, after), changes(before.decode, after)
