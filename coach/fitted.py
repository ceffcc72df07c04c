"""Reading what a fitting script wrote: a missing or damaged file is a one-line error naming it and its script."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from models.errors import CoachError

T = TypeVar("T")


def load_fitted(path: Path, what: str, script: str, parse: Callable[[dict[str, Any]], T]) -> T:
    """parse(the JSON in path); any failure to read or parse it is a CoachError ("the title check's fitted data …")."""
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CoachError(f"{what}'s fitted data {path} is missing or damaged ({error})",
                         hint=f"reinstall coach, or run {script}") from error
