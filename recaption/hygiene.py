"""Output hygiene: turn a model's raw reply into a caption, or into a failure with a status.

Chatty preambles ("The image shows", "In this image,", "Sure! Here is a caption:") are stripped;
refusals, empty replies, replies cut off by the token budget and degenerate loops are failures. A failed caption is
recorded with its status and never rejects the record: the alt-text and other variants remain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OK = "ok"
EMPTY = "empty"
REFUSAL = "refusal"
TRUNCATED = "truncated"
REPETITIVE = "repetitive"  # a degenerate loop ("a dog and a dog and a dog and ...")
ERROR = "error"  # the backend failed (HTTP error after retries, malformed reply, model error)
BAD_IMAGE = "bad_image"  # the image could not be decoded, so nothing was asked of the model

_PREAMBLES = [
    r"(sure|certainly|of course|okay|ok)[,!.]?\s+",
    r"here(?:'s| is) (?:a |the |my )?(?:short |brief |detailed |dense )?"
    r"(?:caption|description)[^:\n]{0,40}:\s*",
    r"(?:caption|description)\s*:\s*",
    r"(?:in|within) (?:this|the) (?:image|picture|photo(?:graph)?|scene)\s*,?\s*",
    r"(?:this|the) (?:image|picture|photo(?:graph)?|scene|illustration)\s+"
    r"(?:shows|depicts|features|displays|presents|captures|portrays|contains|is of|"
    r"is showing|appears to show|showcases)\s*:?\s*",
    r"(?:i can see|we can see)\s+",
]
_PREAMBLE_RE = re.compile(r"^(?:" + "|".join(_PREAMBLES) + ")", re.IGNORECASE)

_REFUSALS = re.compile(
    r"^(?:i'?m sorry|i am sorry|sorry,|i apologi[sz]e|as an ai|i cannot|i can't|i can not|"
    r"i'?m (?:not able|unable)|i am (?:not able|unable)|unfortunately,? i)"
    r"|\b(?:unable to (?:see|view|describe|identify|help|assist|process)"
    r"|cannot (?:see|view|describe|identify|assist with) (?:the |this |that )?image"
    r"|no image (?:was |has been )?(?:provided|attached|uploaded))",
    re.IGNORECASE,
)
# A reply of at least this many words whose distinct words are fewer than this share of them is
# a decoding loop; fluent captions, dense ones included, stay well above half.
MIN_WORDS_FOR_LOOP = 8
LOOP_UNIQUE_SHARE = 0.3
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_WRAPPING_QUOTES = ('""', "''", "“”", "‘’")


@dataclass(frozen=True)
class Cleaned:
    """A cleaned caption (None when it failed) with its status and, for failures, why."""

    text: str | None
    status: str
    detail: str | None = None


def clean_caption(raw: str | None, *, hit_token_limit: bool = False) -> Cleaned:
    """Apply the hygiene rules to one raw reply.

    ``hit_token_limit`` says generation stopped on the token budget rather than on its own; a
    reply that did so and does not end a sentence is truncated.
    """
    text = " ".join((raw or "").split())
    text = _strip_quotes(text)
    if _REFUSALS.search(text[:200]):
        return Cleaned(None, REFUSAL, _excerpt(text))
    for _ in range(3):  # preambles stack: "Sure! Here is a caption: The image shows ..."
        stripped = _PREAMBLE_RE.sub("", text, count=1).lstrip(" ,:;-")
        if stripped == text:
            break
        text = _strip_quotes(stripped)
    if not re.search(r"\w", text):
        return Cleaned(None, EMPTY, _excerpt(raw or ""))
    if hit_token_limit and not _SENTENCE_END.search(text):
        return Cleaned(None, TRUNCATED, _excerpt(text))
    words = re.findall(r"\w+|[^\w\s]", text.lower())  # punctuation loops count too
    if len(words) >= MIN_WORDS_FOR_LOOP and len(set(words)) < LOOP_UNIQUE_SHARE * len(words):
        return Cleaned(None, REPETITIVE, _excerpt(text))
    return Cleaned(text[0].upper() + text[1:], OK)


def _strip_quotes(text: str) -> str:
    text = text.strip()
    for pair in _WRAPPING_QUOTES:
        if len(text) >= 2 and text[0] == pair[0] and text[-1] == pair[1]:
            return text[1:-1].strip()
    return text


def _excerpt(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
