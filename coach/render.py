"""A decode as Markdown a person would paste into their notes."""

from __future__ import annotations

from coach.decode import Decode

FLAVOR_NAMES = {
    "ml_engineer": "ML engineer",
    "llm_engineer": "LLM engineer",
    "applied_ai_engineer": "Applied AI engineer",
    "ai_product_engineer": "AI Product engineer",
}


def _quote(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def decode_markdown(decode: Decode, title: str | None = None) -> str:
    text = decode.text
    lines = [f"# JD decode{': ' + _quote(title) if title else ''}", ""]
    if not decode.clusters:
        lines += [note for note in decode.notes] + [""]
        return "\n".join(lines)
    flavor = FLAVOR_NAMES.get(decode.flavor.value or "", "unclear")
    share = decode.flavor.scores.get(decode.flavor.value or "", 0)
    lines += [
        f"**Role flavor:** {flavor} ({share:.0%} of the evidence) · **Level:** {decode.level.value} — {decode.level.reason}",
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
