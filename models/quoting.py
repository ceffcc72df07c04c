"""Quoted data inside prompts: one set of delimiter tags, defused the same way everywhere, and cut inside
its tags (never the instructions around it) when a prompt is longer than the model's context.

Every prompt builder puts text it did not write (a JD, an answer, a story) between ``<tag>`` and
``</tag>`` lines with :func:`quote`. The system prompt tells the model that what sits between those tags
is data. Two things follow, both here so no builder can get them differently:

- the data must not be able to close or open a block itself: :func:`defuse` turns every tag of ours
  (``</answer>``, ``< / Answer >``, ``<job_description>``, ``<story>`` ...) inside it into look-alikes
  that are not tags;
- when the whole prompt is too long, the runtime shortens the longest quoted block and keeps
  everything outside the blocks (:func:`shrink_quoted`), instead of cutting the front of the prompt,
  which is where the instructions are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

DATA_TAGS = ("job_description", "answer", "story", "question", "evidence", "bullet")
CUT_MARK = "[… cut to fit the model's context]"

# Any of our tags, opening or closing, with stray spaces or any case: "</answer>", "< /ANSWER >", "<story >".
_ANY_TAG = re.compile(r"<\s*/?\s*(?:" + "|".join(DATA_TAGS) + r")\s*/?\s*>", re.IGNORECASE)
_BLOCK = re.compile(r"<(" + "|".join(DATA_TAGS) + r")>\n(.*?)\n</\1>", re.DOTALL)


def defuse(text: str) -> str:
    """The text with every delimiter tag of ours made inert (‹answer› instead of <answer>)."""
    return _ANY_TAG.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def quote(tag: str, text: str) -> str:
    """Text as a quoted data block; its own tags are defused, so the block ends where we say."""
    if tag not in DATA_TAGS:
        raise ValueError(f"unknown data tag {tag!r}; add it to DATA_TAGS so every builder defuses it")
    return f"<{tag}>\n{defuse(text)}\n</{tag}>"


@dataclass(frozen=True, slots=True)
class Shrunk:
    texts: list[str]
    cut_tags: tuple[str, ...]  # the blocks that lost text, in the order they were cut


def _cut_to(text: str, keep_chars: int) -> str:
    """The leading part of `text` of at most keep_chars, ended at a line or sentence end where one is near."""
    head = text[:max(keep_chars, 0)]
    end = max(head.rfind("\n"), head.rfind(". "))
    return head[:end + 1] if end > len(head) // 2 else head


def shrink_quoted(texts: Sequence[str], excess: int, count: Callable[[str], int]) -> Shrunk:
    """Shorten quoted blocks in `texts` until `excess` tokens are gone; text outside blocks is untouched.

    The longest block is cut first, from its end (a JD's or an answer's start says most), with a mark that
    says so. `count` counts tokens. Raises ValueError when the blocks cannot give up enough."""
    texts = list(texts)
    cut: list[str] = []
    for _ in range(8):
        if excess <= 0:
            return Shrunk(texts, tuple(cut))
        blocks = [(i, m) for i, t in enumerate(texts) for m in _BLOCK.finditer(t)
                  if m.group(2) and not m.group(2).endswith(CUT_MARK)] or \
                 [(i, m) for i, t in enumerate(texts) for m in _BLOCK.finditer(t) if len(m.group(2)) > len(CUT_MARK)]
        if not blocks:
            break
        i, block = max(blocks, key=lambda item: len(item[1].group(2)))
        inner = block.group(2).removesuffix(CUT_MARK).rstrip()
        inner_tokens = max(count(inner), 1)
        target = inner_tokens - excess - count(CUT_MARK) - 8  # 8: the tokens a cut boundary may merge or split
        if target <= 0:
            new_inner = CUT_MARK
        else:
            # Characters per token of this block, with a margin; recounted on the next pass.
            new_inner = _cut_to(inner, int(len(inner) * target / inner_tokens * 0.95)).rstrip() + "\n" + CUT_MARK
        before = count(texts[i])
        text = texts[i]
        texts[i] = text[:block.start(2)] + new_inner + text[block.end(2):]
        excess -= before - count(texts[i])
        cut.append(block.group(1))
    if excess > 0:
        raise ValueError("the prompt does not fit the model's context even with its quoted text cut")
    return Shrunk(texts, tuple(cut))
