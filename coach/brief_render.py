"""The morning-of brief as Markdown (notes, the app) and as one printable HTML page.

The user's text (JD quotes, story titles and openings, the JD's title) is escaped for Markdown,
so a "*" or "[link](...)" in it shows as typed; the HTML page is the same Markdown rendered with
raw HTML off, so "<script>" in a JD is text on the page too. The page has no external assets.
"""

from __future__ import annotations

import html
import re

from coach.brief import Brief

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")  # enough to stop emphasis, links, code, HTML


def md(text: str) -> str:
    """User text as one line of literal Markdown: whitespace collapsed, Markdown punctuation escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def brief_markdown(brief: Brief) -> str:
    lines = [f"# Morning-of brief: {md(brief.title)}", ""]
    if not brief.clusters:
        lines += [md(n) for n in brief.notes] + [""] + [f"- {item}" for item in brief.to_add]
        return "\n".join(lines) + "\n"
    lines += [
        f"**The role:** {md(brief.flavor)} · level {md(brief.level)}.  ",
        f"**Show {brief.show_level}:** {md(brief.show_how)}",
        "",
        "## What they will score, by weight",
        "",
    ]
    for rank, c in enumerate(brief.clusters, 1):
        confidence = f"your confidence {c.confidence}/5" if c.confidence is not None else "not rated yet"
        lines += [f"### {rank}. {md(c.name)} — weight {c.weight:g}, {confidence}", ""]
        lines.append("- The JD asks: " + "; ".join(f"“{md(q)}”" for q in c.quotes[:4])
                     + (f" (+{len(c.quotes) - 4} more)" if len(c.quotes) > 4 else ""))
        if c.story:
            lines.append(f"- Your story: **{md(c.story)}**. Opening for an {md(brief.framing)} interviewer: "
                         f"“{md(c.opening or '')}”")
        if c.approach:
            lines.append(f"- {'No story linked yet. ' if not c.story else ''}{md(c.approach)}")
        lines.append("")
    lines += ["## Questions you will most likely get", ""]
    for i, q in enumerate(brief.questions, 1):
        lines += [f"{i}. **{md(q.text)}** ({md(q.cluster_name)}, {q.kind.replace('_', ' ')}; the JD: “{md(q.asked_by)}”)  ",
                  f"   Plan: {md(q.plan)}"]
    lines += ["", "## Your weak spots, and one thing to do today", ""]
    if brief.weak_spots:
        lines += [f"- **{md(w.name)}** ({md(w.why)}). Today: {md(w.today)}" for w in brief.weak_spots]
    else:
        lines.append("- None on record: no competency rated 1–2 and no weak interview score on these competencies.")
    lines += ["", "## Red flags to avoid (seed 004)", ""]
    for flag in brief.red_flags:
        seen = f" Seen in graded practice answers on {md(flag.seen)}." if flag.seen else ""
        lines.append(f"- {md(flag.text)} Instead: {md(flag.instead)}.{seen}")
    if brief.to_add:
        lines += ["", "## To make this brief yours", ""] + [f"- {item}" for item in brief.to_add]
    for note in brief.notes:
        lines += ["", f"_{md(note)}_"]
    return "\n".join(lines) + "\n"


_CSS = """
body { font: 11pt/1.45 Georgia, 'Times New Roman', serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
       color: #111; }
h1 { font-size: 1.5rem; border-bottom: 2px solid #111; padding-bottom: .2rem; }
h2 { font-size: 1.15rem; margin-top: 1.6rem; border-bottom: 1px solid #999; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
li { margin: .2rem 0; }
code { font-family: Menlo, Consolas, monospace; font-size: .9em; background: #f2f2f2; padding: 0 .2em; }
@media print { body { margin: 0; max-width: none; } h2, h3 { break-after: avoid; } li { break-inside: avoid; } }
"""


def brief_html(brief: Brief) -> str:
    """One self-contained page: inline CSS, no scripts, no external links or fonts."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).render(brief_markdown(brief))
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>Morning-of brief: {html.escape(brief.title)}</title>\n<style>{_CSS}</style>\n</head>\n"
            f"<body>\n{body}</body>\n</html>\n")
