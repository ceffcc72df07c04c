"""Which language model the coach uses: the user's choice, kept in the database."""

from __future__ import annotations

import sqlite_utils

from coach.storage import get_setting, set_setting
from models.errors import ManifestError, UnknownModelError
from models.registry import Manifest, Registry

ACTIVE_MODEL_KEY = "active_model"


def active_model(db: sqlite_utils.Database, registry: Registry) -> Manifest:
    """The chosen text model, or the registry's default when none was chosen (or it is gone)."""
    chosen = get_setting(db, ACTIVE_MODEL_KEY)
    if chosen:
        try:
            return registry.get(chosen)
        except UnknownModelError:
            pass
    return registry.default("llm")


def use_model(db: sqlite_utils.Database, registry: Registry, model_id: str) -> Manifest:
    manifest = registry.get(model_id)
    if manifest.kind != "llm":
        raise ManifestError(f"'{model_id}' is a model of kind '{manifest.kind}'; only a text model can be the coach's model")
    if not manifest.activatable:
        raise ManifestError(
            f"'{model_id}' has no sha256 in its manifest, so it cannot be verified and cannot be activated",
            hint=f"add its sha256 to {manifest.origin}",
        )
    set_setting(db, ACTIVE_MODEL_KEY, manifest.id)
    return manifest
