"""Page furniture inside the main content, recognised by structure, never by wording.

trafilatura decides which blocks are main content. Run with images on (as we must, to keep
images in place) it also keeps the text of figures and caption blocks, which it drops with
images off: those items are image material (credits, captions; a figcaption stays attached to
its image) and are pruned here, so that the running text follows trafilatura's own text
decisions. ``dateline_words`` drops a short paragraph or heading that carries a numeric date
or clock time (a dateline, a byline with its timestamp: page metadata, not text; list items,
tables and code are never judged). ``trailing_heads`` drops headings that no text follows.

No rule names a site, a page or a word: boilerplate wording differs per site and language, and
lists of it overfit the pages they were taken from (an earlier list of labels and teaser phrases
lifted from the development pages scored 0.931 there and lost to plain trafilatura elsewhere).
Which rules are on is chosen with leave-one-site-out on the development pages (bench/docs.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.html.images import ImageInfo
from engine.html.walk import ItemFacts

Position = tuple[str, ItemFacts] | ImageInfo
FOCUSES = ("balanced", "precision", "recall")  # trafilatura's favor_precision/favor_recall
# numeric dates (31.12.2020, 12/31/20, 2020-12-31) and clock times (19:49, 3:59 PM)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"  # a day or a month number, either order
_DATE_OR_TIME = re.compile(
    rf"\b(?:{_DAY}([./-]){_DAY}\1(?:\d{{4}}|\d{{2}})|\d{{4}}-[01]\d-[0-3]\d|(?:[01]?\d|2[0-3]):[0-5]\d)\b")
_NEVER_DATELINES = {"item", "list", "table", "code"}


@dataclass(frozen=True)
class PruneRules:
    """The structural rules applied to a page's items (see the module docstring)."""

    figure_text: bool = True
    dateline_words: int = 0  # 0: off
    trailing_heads: bool = False


def _is_text(position: Position) -> bool:
    return isinstance(position, tuple)


def _furniture(text: str, facts: ItemFacts, rules: PruneRules) -> bool:
    if rules.figure_text and facts.in_figure:
        return True
    return (facts.words <= rules.dateline_words and facts.kind not in _NEVER_DATELINES
            and _DATE_OR_TIME.search(text) is not None)


def prune(positions: list[Position], rules: PruneRules) -> list[Position]:
    """The positions that are not page furniture under ``rules``; images are always kept."""
    kept = [p for p in positions if not (_is_text(p) and _furniture(*p, rules))]
    if rules.trailing_heads:
        while True:
            last = next((i for i in range(len(kept) - 1, -1, -1) if _is_text(kept[i])), None)
            if last is None or kept[last][1].kind != "head":
                break
            del kept[last]
    return kept


# chosen on html-dev by leave-one-site-out among the candidates bench/docs.py lists
DEFAULT_RULES = PruneRules(figure_text=True, dateline_words=8, trailing_heads=False)
DEFAULT_FOCUS = "balanced"
