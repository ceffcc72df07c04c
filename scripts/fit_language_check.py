"""Fit the decoder's "is this English?" check on data: a word list and the two numbers of its rule.

    .venv/bin/python scripts/fit_language_check.py     # fit, write coach/data/language_check.json, report

The decoder reads English postings only; a text in another language must be named as such and decoded into
nothing, however short, while no English text a user pastes (a whole posting, a few bullets, one line)
may be refused. The rule: a text of at least `min_words` words of which fewer than `max_share` are English
words is not English. "English words" are the words used by at least two training postings
(data/postings, our own words), so the list knows job-posting English, tool names included.

Data. English: every training posting, whole, with its title, and cut into what users paste when it is
short: each line alone, and its first 3, 5, 8 ... 60 words. Other languages: data/other-languages/,
28 short postings in 14 languages written for this check (not copied from anywhere), cut the same way.
Fitting chooses, among rules that refuse none of the English training pieces, the one that finds the most
pieces in other languages (ties: the higher floor, then the lower share).

Evaluated on what the fit did not see: the frozen test split's postings (data/postings/SPLIT.json; pieces
refused = false alarms) and, per language, a fit without that language (leave one language out: pieces found).
The rule the decoder used before (30 words, a share of function words under 0.07) is reported beside it.
Report: docs/language-check-report.md.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from fit_decode import postings, split  # noqa: E402

from coach.jdcheck import LANGUAGE_FILE, english_share, refuses, tokens  # noqa: E402
from coach.segment import BULLET  # noqa: E402

OTHER = ROOT / "data" / "other-languages" / "postings.jsonl"
REPORT = ROOT / "docs" / "language-check-report.md"
PREFIXES = (3, 5, 8, 12, 16, 20, 25, 30, 40, 60)
MIN_WORDS = range(1, 31)
SHARES = [i / 100 for i in range(5, 96)]
# The rule the decoder shipped before this fit, for comparison.
OLD_FUNCTION_WORDS = frozenset("""the and to of a in for with you we our is are on as be will or your an at by this
that from have it can who us their all more about into what how work team""".split())


def pieces(text: str) -> list[str]:
    """The text whole, each line alone, and its first few words: what a user pastes when it is short."""
    text = unicodedata.normalize("NFC", text)  # tokens() gives spans of the composed text
    out = [text] + [BULLET.sub("", line).strip() for line in text.splitlines()]
    matches = list(tokens(text, spans=True))
    out += [text[:matches[n - 1][1]] for n in PREFIXES if n < len(matches)]
    seen: set[str] = set()
    return [p for p in out if p and not (p in seen or seen.add(p))]


def lexicon(rows: list[dict]) -> set[str]:
    """Words used by at least two postings."""
    counts: Counter = Counter()
    for row in rows:
        counts.update({w.lower() for w in tokens(row["title"] + "\n" + row["text"])})
    return {w for w, n in counts.items() if n >= 2}


def features(piece: str, words: set[str]) -> tuple[int, float]:
    found = [w.lower() for w in tokens(piece)]
    return len(found), english_share(found, words)


def fit(english: list[tuple[int, float]], other: list[tuple[int, float]]) -> tuple[int, float]:
    best: tuple[int, int, float] | None = None
    for m in MIN_WORDS:
        for t in SHARES:
            if any(refuses(n, s, m, t) for n, s in english):
                continue
            found = sum(refuses(n, s, m, t) for n, s in other)
            key = (found, m, -t)
            if best is None or key > (best[0], best[1], -best[2]):
                best = (found, m, t)
    assert best is not None
    return best[1], best[2]


def refused(sample: tuple[int, float], rule: tuple[int, float]) -> bool:
    return refuses(*sample, *rule)


def old_rule(piece: str) -> bool:
    found = [w.lower() for w in re.findall(r"[^\W\d_]+", piece)]
    return len(found) >= 30 and sum(w in OLD_FUNCTION_WORDS for w in found) / len(found) < 0.07


def bucket(n: int) -> str:
    return "1-9 words" if n < 10 else "10-29 words" if n < 30 else "30+ words"


def main() -> None:
    train_rows, test_rows = split(postings(), freeze=False)
    words = lexicon(train_rows)
    other = [json.loads(line) for line in OTHER.read_text(encoding="utf-8").splitlines() if line.strip()]
    english_train = [features(p, words) for r in train_rows for p in pieces(r["title"] + "\n\n" + r["text"])]
    by_language: dict[str, list[tuple[str, tuple[int, float]]]] = defaultdict(list)
    for row in other:
        by_language[row["lang"]] += [(p, features(p, words)) for p in pieces(row["text"])]
    rule = fit(english_train, [f for items in by_language.values() for _, f in items])

    lines = ["# Is it English? The decoder's language check, fitted and checked", "",
             "Made by `scripts/fit_language_check.py`; do not edit by hand.", "",
             f"Rule: at least **{rule[0]} words**, fewer than **{rule[1]:.0%}** of them among the {len(words):,} words "
             f"used by two or more training postings → not English, nothing decoded.", "",
             "## False alarms on English the fit never saw (frozen test split)", "",
             "| pieces | refused by the fitted rule | refused by the rule before |", "|---|---|---|"]
    test_pieces = [p for r in test_rows for p in pieces(r["title"] + "\n\n" + r["text"])]
    alarms = [p for p in test_pieces if refused(features(p, words), rule)]
    old_alarms = [p for p in test_pieces if old_rule(p)]
    lines.append(f"| {len(test_pieces)} from {len(test_rows)} postings | {len(alarms)} | {len(old_alarms)} |")
    lines += [""] + [f"- refused: “{p[:80]}”" for p in alarms[:10]]
    lines += ["", "## Other languages, each left out of its own fit", "",
              "Pieces found (not English) by a rule fitted without that language, by length.", "",
              "| language | 1-9 words | 10-29 words | 30+ words | the rule before (all) |", "|---|---|---|---|---|"]
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    old_total = [0, 0]
    for lang in sorted(by_language):
        held = fit(english_train, [f for other_lang, items in by_language.items() if other_lang != lang
                                   for _, f in items])
        cells: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for _, f in by_language[lang]:
            cell = cells[bucket(f[0])]
            cell[0] += refused(f, held)
            cell[1] += 1
        old = sum(old_rule(p) for p, _ in by_language[lang])
        old_total[0] += old
        old_total[1] += len(by_language[lang])
        for name, cell in cells.items():
            totals[name][0] += cell[0]
            totals[name][1] += cell[1]
        lines.append(f"| {lang} | " + " | ".join(
            f"{cells[b][0]}/{cells[b][1]}" if cells[b][1] else "–" for b in ("1-9 words", "10-29 words", "30+ words"))
            + f" | {old}/{len(by_language[lang])} |")
    lines.append("| **all** | " + " | ".join(f"**{totals[b][0]}/{totals[b][1]}**" for b in
                                           ("1-9 words", "10-29 words", "30+ words")) + f" | {old_total[0]}/{old_total[1]} |")
    lines += ["", "What this cannot show: the other-language postings were written for this check, two per language, "
              "and share their topics with the English corpus; a language none of them covers, or text that mixes "
              "languages line by line, is not measured. Pieces shorter than the floor are decoded whatever their "
              "language: a few words cannot be told apart from a list of tool names."]
    LANGUAGE_FILE.write_text(json.dumps({"min_words": rule[0], "max_share": rule[1], "words": sorted(words)},
                                        ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
