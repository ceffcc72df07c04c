"""Flavor and level accuracy of the deterministic decoder on the labelled dev set.

    .venv/bin/python scripts/eval_decode.py [--no-embed] [--verbose] [DIR]

Each file in tests/data/jds has `title:`, `flavor:` and `level:` lines, then `---`, then
the JD text; the decoder sees only the text, never the title.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coach.decode import decode  # noqa: E402
from coach.taxonomy import FLAVORS  # noqa: E402


def load_case(path: Path) -> tuple[dict[str, str], str]:
    head, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
    labels = dict(line.split(":", 1) for line in head.splitlines() if ":" in line)
    return {k.strip(): v.strip() for k, v in labels.items()}, body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", default=str(ROOT / "tests" / "data" / "jds"))
    parser.add_argument("--no-embed", action="store_true", help="lexical only: no embedding model")
    parser.add_argument("--verbose", "-v", action="store_true", help="one line per JD")
    args = parser.parse_args()
    embedder = None
    if not args.no_embed:
        from models.datadir import models_dir
        from models.loader import load_embedder
        from models.store import ModelStore

        store = ModelStore(models_dir=models_dir())
        embedder = load_embedder(store)
    files = sorted(Path(args.directory).glob("*.txt"))
    flavor_ok = level_ok = 0
    confusion: Counter[tuple[str, str]] = Counter()
    level_confusion: Counter[tuple[str, str]] = Counter()
    seconds = []
    for path in files:
        labels, text = load_case(path)
        t0 = time.perf_counter()
        result = decode(text, embedder=embedder)
        seconds.append(time.perf_counter() - t0)
        flavor, level = result.flavor.value or "-", result.level.value or "-"
        flavor_ok += flavor == labels["flavor"]
        level_ok += level == labels["level"]
        confusion[(labels["flavor"], flavor)] += 1
        level_confusion[(labels["level"], level)] += 1
        if args.verbose:
            mark = lambda ok: "ok " if ok else "XX "  # noqa: E731
            print(f"{path.name:42} flavor {mark(flavor == labels['flavor'])}{labels['flavor']:>20} -> {flavor:20} "
                  f"level {mark(level == labels['level'])}{labels['level']:>5} -> {level:5}  {result.level.reason}")
    n = len(files)
    print(f"dev set: {n} JDs in {args.directory} ({'lexical only' if args.no_embed else 'hybrid: keywords + embeddings'})")
    print(f"flavor accuracy: {flavor_ok}/{n} = {flavor_ok / n:.0%}")
    print(f"level accuracy:  {level_ok}/{n} = {level_ok / n:.0%}")
    print(f"decode time: median {sorted(seconds)[n // 2] * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms")
    print("\nflavor confusion (rows: label, columns: decoded)")
    short = {f: f.split("_")[0] if f != "ai_product_engineer" else "product" for f in FLAVORS}
    print(" " * 22 + "".join(f"{short[f]:>10}" for f in FLAVORS))
    for label in FLAVORS:
        print(f"{label:22}" + "".join(f"{confusion[(label, f)]:>10}" for f in FLAVORS))
    print("\nlevel confusion")
    print(" " * 8 + "".join(f"{lv:>8}" for lv in ("L4", "L5", "Staff")))
    for label in ("L4", "L5", "Staff"):
        print(f"{label:8}" + "".join(f"{level_confusion[(label, lv)]:>8}" for lv in ("L4", "L5", "Staff")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
