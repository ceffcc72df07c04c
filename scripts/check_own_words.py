"""Find runs of words a corpus entry kept in its source page's wording (data/postings, "own words").

    .venv/bin/python scripts/check_own_words.py SOURCES.jsonl [--min-words 8]
    .venv/bin/python scripts/check_own_words.py --previous REV [--min-words 7]

SOURCES.jsonl holds, per line, {"id": <posting id>, "source": <the page's text as fetched>}; it is the
page's wording, so it stays outside the repo. Prints, for each entry, every run of at least `--min-words`
consecutive words (case and punctuation ignored) that the entry's text shares with its source, longest
first, and exits 1 when any entry has one. A run made only of names and numbers (a list of tools, years)
is a fact, not wording, and is not reported.

--previous REV compares each entry with its own text at git revision REV instead: the corpus was written
from the pages and then reworded a second time (2026-12-01) so that no entry keeps a run of 7 words or
more of its earlier text (`--previous ab700c8`), whatever runs of the page that earlier text kept.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fit_decode import postings  # noqa: E402

# Words that carry wording: a run needs at least this share of them to be reported, not a list of tool names.
_FUNCTION_WORDS = frozenset("a an and are as at be by for from has have in is it of on or our that the their this "
                            "to we will with you your".split())


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9+#']+", text.lower().replace("’", "'"))


def shared_runs(text: str, source: str, min_words: int) -> list[str]:
    """Maximal runs of >= min_words consecutive words of `text` that also occur consecutively in `source`."""
    ours, theirs = words(text), words(source)
    grams = {tuple(theirs[i:i + min_words]) for i in range(len(theirs) - min_words + 1)}
    source_text = " " + " ".join(theirs) + " "
    runs, i = [], 0
    while i <= len(ours) - min_words:
        if tuple(ours[i:i + min_words]) not in grams:
            i += 1
            continue
        end = i + min_words
        while end < len(ours) and f" {' '.join(ours[i:end + 1])} " in source_text:
            end += 1
        run = ours[i:end]
        if sum(w in _FUNCTION_WORDS for w in run) >= 2:  # wording, not a list of names
            runs.append(" ".join(run))
        i = end
    return sorted(runs, key=lambda run: len(run.split()), reverse=True)


def previous_texts(rev: str) -> list[dict]:
    """Each entry's text at git revision `rev`, as {"id", "source"} items."""
    root = Path(__file__).resolve().parent.parent
    names = subprocess.run(["git", "ls-tree", "--name-only", rev, "data/postings/"], cwd=root, check=True,
                           capture_output=True, text=True).stdout.split()
    items = []
    for name in names:
        if name.endswith(".jsonl"):
            text = subprocess.run(["git", "show", f"{rev}:{name}"], cwd=root, check=True, capture_output=True,
                                  text=True).stdout
            items += [{"id": row["id"], "source": row["text"]}
                      for row in map(json.loads, filter(str.strip, text.splitlines()))]
    return items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", type=Path, nargs="?")
    parser.add_argument("--previous", metavar="REV", help="compare with each entry's text at this git revision")
    parser.add_argument("--min-words", type=int, help="8 against pages' text, 7 against an earlier revision")
    args = parser.parse_args()
    if (args.sources is None) == (args.previous is None):
        parser.error("give SOURCES.jsonl or --previous REV")
    if args.min_words is None:
        args.min_words = 7 if args.previous else 8
    entries = {row["id"]: row for row in postings()}
    items = previous_texts(args.previous) if args.previous else [
        json.loads(line) for line in args.sources.read_text(encoding="utf-8").splitlines() if line.strip()]
    found = 0
    for item in items:
        entry = entries.get(item["id"])
        if entry is None:
            print(f"{item['id']}: not in the corpus")
            continue
        runs = shared_runs(entry["text"], item["source"], args.min_words)
        if runs:
            found += 1
            print(f"{item['id']}: {len(runs)} run(s); longest {len(runs[0].split())} words: “{runs[0]}”")
    print(f"{found} entr{'y' if found == 1 else 'ies'} with a run of {args.min_words}+ words in the source's wording")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
