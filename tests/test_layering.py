"""The shape of the code, checked: tui -> coach -> models; SQL only in the storage layer.

Parsed with `ast`, so a moved import or a new query is caught whatever the runtime path.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "coach", "tui", "bench", "quantize")
# Who may import whom (top-level package names).
ALLOWED = {
    "models": {"models"},
    "coach": {"coach", "models"},
    "quantize": {"quantize", "coach", "models"},
    "bench": {"bench", "coach", "models"},
    "tui": {"tui", "coach", "models", "quantize", "bench"},
}
# The one benchmark that measures the app's own streaming path has to drive the app.
EXCEPTIONS = {"bench/test_app_path.py": {"tui", "textual"}}
STORAGE = {"coach/storage.py", "coach/records.py"}
# A query, a statement, a table handle or a transaction on a database object, or an SQL string.
SQL = re.compile(r"\bdb\.(?:query|execute|conn)\b|\bdb\[|\bconn\.execute\(|"
                 r"[\"']\s*(?:select\s+[\w*,.() ]+\s+from|insert\s+into|update\s+\w+\s+set|delete\s+from)\b",
                 re.IGNORECASE)


def python_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(PACKAGES) | ({"textual"} & names)


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_one_way(path):
    rel = str(path.relative_to(ROOT))
    package = rel.split("/")[0]
    allowed = ALLOWED[package] | EXCEPTIONS.get(rel, set()) | ({"textual"} if package == "tui" else set())
    wrong = imported_packages(path) - allowed
    assert not wrong, f"{rel} imports {sorted(wrong)}: dependencies point tui -> coach -> models"


@pytest.mark.parametrize("path", [p for p in python_files() if str(p.relative_to(ROOT)) not in STORAGE],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sql_above_the_storage_layer(path):
    rel = str(path.relative_to(ROOT))
    hits = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if SQL.search(line)]
    assert not hits, f"{rel} touches the database directly: {hits[:3]} (use coach.records)"


def test_the_checks_can_fail(tmp_path):
    """The two scans above find what they look for."""
    bad = tmp_path / "bad.py"
    bad.write_text("from tui.app import build_app\nrows = db.query('select * from jds')\n", encoding="utf-8")
    assert "tui" in imported_packages(bad)
    assert any(SQL.search(line) for line in bad.read_text().splitlines())
