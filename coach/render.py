"""A decode as Markdown a person would paste into their notes."""

from __future__ import annotations

from coach.decode import Decode, FlavorResult, LevelResult
from coach.taxonomy import load_taxonomy

# Two flavors closer than this in probability are both named: the posting is a blend.
BLEND_MARGIN = 0.15
# A call under this probability always names the runner-up: such calls are right about half the time in grouped
# CV on the training postings, far less often than those above it, and the truth is mostly among the top two
# (the figures: docs/decode-errors.md, made by scripts/decode_errors.py).
UNSURE = 0.5


def flavor_name(flavor_id: str | None) -> str:
    """A flavor's display name, whole (never cut: "AI 21%" was ambiguous)."""
    if not flavor_id:
        return "unclear"
    return load_taxonomy().flavor(flavor_id).name


def flavor_line(flavor: FlavorResult) -> str:
    """The role flavor with its doubt: "LLM engineer (62%)" or "LLM engineer, with a strong Applied AI
    engineer signal (44% / 38%)"; no flavor is claimed when there is no evidence."""
    if flavor.value is None:
        return "unclear (no flavor evidence)"
    ranked = sorted(flavor.scores.items(), key=lambda kv: -kv[1])
    (top, p1), (second, p2) = ranked[0], ranked[1]
    if p1 - p2 < BLEND_MARGIN:
        return f"{flavor_name(top)}, with a strong {flavor_name(second)} signal ({p1:.0%} / {p2:.0%})"
    if p1 < UNSURE:
        return f"{flavor_name(top)}, possibly {flavor_name(second)} ({p1:.0%} / {p2:.0%})"
    return f"{flavor_name(top)} ({p1:.0%})"


def _quote(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def level_line(level: LevelResult) -> str:
    """The level with its doubt: "L5 (71%)" or "L5, possibly Staff (52% / 38%)"."""
    if level.value is None:
        return "unclear"
    if not level.scores:
        return level.value
    ranked = sorted(level.scores.items(), key=lambda kv: -kv[1])
    (top, p1), (second, p2) = ranked[0], ranked[1]
    if p1 - p2 < BLEND_MARGIN or p2 >= 0.3 or p1 < UNSURE:
        return f"{top}, possibly {second} ({p1:.0%} / {p2:.0%})"
    return f"{top} ({p1:.0%})"


def decode_markdown(decode: Decode, title: str | None = None) -> str:
    text = decode.text
    lines = [f"# JD decode{': ' + _quote(title) if title else ''}", ""]
    if not decode.clusters:
        lines += [note for note in decode.notes] + [""]
        return "\n".join(lines)
    flavor = flavor_name(decode.flavor.value)
    lines += [
        f"**Role flavor:** {flavor_line(decode.flavor)} · **Level:** {level_line(decode.level)} — {decode.level.reason}",
        "",
        "**Action verbs:** " + (", ".join(v.verb for v in decode.verbs) or "none found"),
        "",
        "## Competency clusters, by weight",
        "",
        "| # | Cluster | Weight | Where the JD says it |",
        "|---|---|---|---|",
    ]
    for rank, cluster in enumerate(decode.clusters, 1):
        quotes = "; ".join(f"“{_quote(text[s:e])}”" for s, e in cluster.spans[:4])
        more = f" (+{len(cluster.spans) - 4} more)" if len(cluster.spans) > 4 else ""
        lines.append(f"| {rank} | {cluster.name} | {cluster.weight:g} | {quotes}{more} |")
    evidence = [e for e in decode.level.evidence if e.kind in ("title word", "years", "staff", "senior", "junior")][:6]
    if evidence:
        lines += ["", "**Level signals:** " + ", ".join(f"“{_quote(e.text)}” ({e.kind})" for e in evidence)]
    if decode.flavor.evidence:
        lines += ["", f"**Why {flavor}:** " + ", ".join(f"“{_quote(e.text)}”" for e in decode.flavor.evidence[:6])]
    for note in decode.notes:
        lines += ["", f"_{note}_"]
    return "\n".join(lines) + "\n"
