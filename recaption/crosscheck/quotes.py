"""Sentences and the text a caption says is written in its image: quoted or after a cue word.

Quotes are found before anything else so that their content is never read as objects ("a sign
reading 'HOT DOGS'" claims text, not hot dogs) and never ends a sentence.
"""

from __future__ import annotations

import re

from recaption.crosscheck.vocab import Vocabulary

_QUOTED = re.compile(
    r'"([^"\n]{1,200})"|“([^”\n]{1,200})”|‘([^’\n]{1,200})’|«([^»\n]{1,200})»'
    r"|(?<![A-Za-z0-9])'([^'\n]{1,200})'(?![A-Za-z0-9])"
)
# Unquoted text after a cue: "a sign that says STOP", "reads: NO PARKING".
_CAPS_AFTER_CUE = re.compile(
    r"\b(?:says|reads|reading|saying|spelling|spells|words?|written)\s*:?\s+"
    r"([A-Z0-9$#@][A-Z0-9&!'%$#@/-]*(?:[ ]+[A-Z0-9$#@][A-Z0-9&!'%$#@/-]*)*)(?![a-z])"
)
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (a quote never ends a sentence)."""
    masked = mask_quotes(text)
    spans, begin = [], 0
    for m in _SENTENCE_END.finditer(masked):
        spans.append((begin, m.end()))
        begin = m.end()
    if text[begin:].strip():
        spans.append((begin, len(text)))
    return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e) for s, e in spans if text[s:e].strip()]


def mask_quotes(text: str) -> str:
    return _QUOTED.sub(lambda m: " " * len(m.group(0)), text)


def quoted_texts(text: str, vocab: Vocabulary) -> list[tuple[int, int, int, int, str]]:
    """(cue_start, content_start, content_end, quote_end, content) for each text claim."""
    found = []
    for m in _QUOTED.finditer(text):
        group = next(i for i in range(1, 6) if m.group(i) is not None)
        content = m.group(group).strip()
        if content:
            found.append((_cue_start(text, m.start(), vocab), m.start(group), m.end(group), m.end(), content))
    masked = mask_quotes(text)
    for m in _CAPS_AFTER_CUE.finditer(masked):
        content = m.group(1).strip()
        if len(content) >= 2 or content.isdigit():
            found.append((_cue_start(text, m.start(1), vocab), m.start(1), m.end(1), m.end(1), content))
    return sorted(found)


def _cue_start(text: str, quote_start: int, vocab: Vocabulary) -> int:
    """Start of the words introducing a quote ("that says", "with the words"), if any."""
    words = list(re.finditer(r"[A-Za-z']+|[,:]", text[:quote_start]))[-4:]
    start = quote_start
    cue_seen = False
    for m in reversed(words):
        w = m.group(0).lower()
        if w in vocab.text_cues or w in (":",):
            cue_seen = cue_seen or w != ":"
            start = m.start()
        elif w in ("that", "which", "with", "the", "a", "an", "is", "are") and (cue_seen or w in ("the", "a", "an")):
            if not cue_seen and w in ("the", "a", "an"):
                break
            start = m.start()
        else:
            break
    return start if cue_seen else quote_start
