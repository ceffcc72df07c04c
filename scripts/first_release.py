"""The first release's rule-based decoder and rubric, loaded from git history as the baselines the fitting
scripts report beside the fitted models (so the old code is not kept twice in the tree).

    from first_release import load
    rubric_v1 = load("coach/rubric.py")
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
FIRST_RELEASE = "7334029"  # the last commit of the first round, before the rubric and decode were fitted


def load(path: str) -> ModuleType:
    """A module of the first release, by its path in the repository."""
    try:
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"{FIRST_RELEASE}:{path}"], check=True,
                                capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(f"the baseline needs the git history of the repository (git show {FIRST_RELEASE}:{path}): {exc}")
    name = "first_release_" + Path(path).stem
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, encoding="utf-8") as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(name, handle.name)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module
