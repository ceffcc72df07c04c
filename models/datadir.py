"""Where coach keeps what it makes: one directory, owner-only.

``COACH_HOME`` overrides the platform default so that tests (and people who want their
data elsewhere) never touch the real one.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "COACH_HOME"


def data_dir() -> Path:
    """The data directory, created 0700 if needed."""
    override = os.environ.get(ENV_VAR)
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("coach", appauthor=False))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        path.chmod(0o700)
    except OSError:  # not ours to change (a shared mount): still usable
        pass
    return path


def models_dir() -> Path:
    path = data_dir() / "models"
    path.mkdir(exist_ok=True, mode=0o700)
    return path
