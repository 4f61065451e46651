"""Caption repair: cut the words that carry unsupported claims and leave tidy sentences.

The smallest cut that removes a claim wins: a wrong colour or count loses its word ("three red
cars" -> "cars"); a wrong quote loses its quote and cue ("a sign reading 'OPEN'" -> "a sign");
a hallucinated object loses its phrase, from the nearest connective before it to the next one
after it ("a dog next to a cat on a couch" -> "a dog on a couch"); where the object is the
sentence's subject, the sentence goes. :func:`tidy` then fixes spacing, punctuation, articles
and capitals. The cross-checker re-checks whatever comes out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from recaption.crosscheck.claims import Claim, sentence_spans
from recaption.crosscheck.vocab import load_vocabulary

_CONNECTIVES = (
    "and", "or", "but", "while", "with", "without", "next to", "beside", "besides", "near",
    "on", "in", "under", "underneath", "behind", "in front of", "on top of", "above", "below",
    "by", "along", "alongside", "at", "beneath", "inside", "outside", "against", "between",
    "among", "around", "as well as", "together with", "along with", "across", "over", "from",
    "which", "who", "that", "where", "through", "towards", "toward", "into", "onto", "plus",
)
_CONNECTIVE = re.compile(
    r"(?:(?<=\s)|^)(?:" + "|".join(sorted((re.escape(c) for c in _CONNECTIVES), key=len,
                                          reverse=True)) + r")(?=\s)", re.IGNORECASE)
_PARTICIPLE = re.compile(r"(?<=\s)[a-z]+ing(?=\s)")
_AUX = re.compile(r"\b(?:is|are|was|were|be|been|being|am)\s*$", re.IGNORECASE)
_CLAUSE_PUNCT = re.compile(r"[,;:()\u2014]")
_VOWEL_SOUND = re.compile(r"^(?:[aeio]|u(?!ni|se|su|ro|ku|te)|hour|honest|heir)", re.IGNORECASE)
_ARTICLE = re.compile(r"\b(a|an|A|An)\s+([A-Za-z][\w-]*)")


def repair(caption: str, unsupported: Sequence[Claim], claims: Sequence[Claim] = ()) -> str:
    """``caption`` without the words that carry the ``unsupported`` claims, tidied.

    ``claims`` (all the caption's claims) lets a wrong count or attribute go with its object
    when the object itself is unsupported.
    """
    if not unsupported:
        return caption
    sentences = sentence_spans(caption)
    bad_objects = {(c.np_start, c.np_end) for c in unsupported if c.kind == "object"}
    cuts: list[tuple[int, int]] = []
    for claim in unsupported:
        if claim.kind in ("attribute", "count") and (claim.np_start, claim.np_end) in bad_objects:
            continue
        cuts.append(_cut_for(caption, claim, sentences))
    return tidy(_apply(caption, cuts))


def _cut_for(text: str, claim: Claim, sentences: list[tuple[int, int]]) -> tuple[int, int]:
    s_start, s_end = _sentence(sentences, claim.start)
    if claim.kind in ("attribute", "count") and not claim.predicate:
        return _word_cut(text, claim)
    if claim.kind == "text" and claim.np_start < claim.start - 1:
        start, end = claim.np_start, claim.np_end  # the quote and its cue ("that says 'X'")
        if not text[s_start:start].strip(" \"'“‘").strip():
            return s_start, s_end
        return start, end
    if claim.kind == "text":
        return claim.np_start, claim.np_end  # an inline quote: a "STOP" sign -> a sign
    return _phrase_cut(text, claim.np_start, max(claim.np_end, claim.end), s_start, s_end)


def _word_cut(text: str, claim: Claim) -> tuple[int, int]:
    """A modifier word, with the "and"/"," tying it to its neighbours and an article it leaves
    dangling ("a pair of shoes" -> "shoes")."""
    start, end = claim.start, claim.end
    if claim.kind == "count":
        start = claim.np_start
        m = re.match(r"\s+of\b", text[end:])
        if m:
            end += m.end()
        m = re.search(r"\b(?:a|an|A|An)\s+$", text[:start])
        if m:
            start = m.start()
    if claim.kind == "count":
        return start, end
    # Coordinated attributes: "red and white bus" -> "white bus"; "white and red bus" -> "white bus".
    vocab = load_vocabulary()
    after = re.match(r"\s*(?:,\s*and|and|or|,)\s+([A-Za-z]+)", text[end:])
    if after and vocab.attribute(after.group(1).lower()):
        return start, end + after.start(1)
    before = re.search(r"([A-Za-z]+)(?:,\s*and|\s+and|\s+or|,)\s*$", text[:start])
    if before and vocab.attribute(before.group(1).lower()):
        return before.end(1), end
    return start, end


def _phrase_cut(text: str, start: int, end: int, s_start: int, s_end: int) -> tuple[int, int]:
    """From the nearest connective (or clause punctuation) before ``start`` to the next one after
    ``end``; the whole sentence when nothing introduces the phrase."""
    head = text[s_start:start]
    marks = [m for m in _CONNECTIVE.finditer(head)]
    marks += [m for m in _PARTICIPLE.finditer(head) if not _AUX.search(head[:m.start()])]
    punct = list(_CLAUSE_PUNCT.finditer(head))
    begin = max([m.start() for m in marks] + [m.end() for m in punct], default=None)
    if begin is None or not text[s_start:s_start + begin].strip():
        return s_start, s_end
    # The phrase ends with its noun, or with the relative clause describing it ("that is ...").
    tail = text[end:s_end]
    relative = re.match(r"\s*,?\s*(?:that|which|who|whose)\b[^,;:.!?]*,?", tail)
    finish = end + (relative.end() if relative else 0)
    cut_start = s_start + begin
    opened_by_comma = begin in {m.end() for m in punct}
    before = re.search(r",\s*$", text[:cut_start])
    # A comma that opened the removed phrase goes with it: "a dog, next to a cat." -> "a dog."
    if before and (opened_by_comma or text[finish:finish + 1] in (".", "!", "?", ",", ";", "")):
        cut_start = before.start()
    return cut_start, finish


def _sentence(sentences: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    for s, e in sentences:
        if s <= pos < e:
            return s, e
    return sentences[-1] if sentences else (0, 0)


_DET = r"(?:a|an|the|some|two|three|four|five|several|many|\d+)"
# "... with an oven, a sink": a list whose items each start with a determiner.
_LIST_TAIL = re.compile(
    r"(?:^\s*|(?:\b(?:with|of|and|has|have|shows?|features?|includes?)|,)\s+)" + _DET + r"\b[^,;:.!?]*"
    r",(\s+" + _DET + r"\b[^,;:.!?]*?)\s*$", re.IGNORECASE)


def _apply(text: str, cuts: list[tuple[int, int]]) -> str:
    merged: list[list[int]] = []
    for s, e in sorted(cuts):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    for s, e in reversed(merged):
        head = text[:s]
        conj = re.match(r"[\s,]*(and|or)\s", text[s:e])
        if conj:
            # The list lost its last item with its conjunction: "an oven, a sink and a toaster"
            # -> "an oven and a sink", not "an oven, a sink".
            last = _LIST_TAIL.search(head)
            if last and not re.search(r"\b(?:and|or)\b", last.group(1)):
                head = head[: last.start(1) - 1] + f" {conj.group(1)}" + last.group(1)
        text = head + " " + text[e:]
    return text


def tidy(text: str) -> str:
    """Spacing, punctuation, dangling connectives, a/an and capitals after words were cut."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"(?<!\.)\.\.(?!\.)", ".", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"[,;:]\s*([.!?])", r"\1", text)
    sentences = []
    for s, e in sentence_spans(text):
        sentence = _tidy_sentence(text[s:e])
        if sentence:
            sentences.append(sentence)
    return " ".join(sentences)


_DANGLING_END = re.compile(
    r"(?:\s+(?:" + "|".join(re.escape(c) for c in _CONNECTIVES) +
    r"|a|an|the|is|are|of|to|its|their|his|her))+\s*([.!?]*)$", re.IGNORECASE)
_DANGLING_START = re.compile(
    r"^(?:(?:and|or|but|with|while|plus|as well as|along with|together with)\b\s*,?\s*)+",
    re.IGNORECASE)


def _tidy_sentence(sentence: str) -> str:
    sentence = sentence.strip().lstrip(",;: ")
    sentence = _DANGLING_START.sub("", sentence)
    previous = None
    while previous != sentence:
        previous = sentence
        sentence = _DANGLING_END.sub(r"\1", sentence).rstrip(",;: ")
        sentence = re.sub(r"[,;:]\s*([.!?]+)$", r"\1", sentence)
    body = sentence.rstrip(".!? ")
    if not re.search(r"[A-Za-z0-9]", body):
        return ""
    sentence = _ARTICLE.sub(_fix_article, sentence)
    if sentence[-1] not in ".!?\"'”’":
        sentence += "."
    return sentence[0].upper() + sentence[1:]


def _fix_article(m: re.Match) -> str:
    article, word = m.group(1), m.group(2)
    wanted = "an" if _VOWEL_SOUND.match(word) else "a"
    if article[0].isupper():
        wanted = wanted.capitalize()
    return f"{wanted} {word}"


def is_tidy(text: str) -> bool:
    """A caption check used after repair: non-empty sentences, each starting with a capital and
    ending with punctuation, no doubled spaces or punctuation, no connective left dangling, and
    articles that agree with the next word."""
    if not text.strip() or "  " in text or re.search(r"\s[,.;:!?]|[,;:]\s*[.!?]|,,", text):
        return False
    for s, e in sentence_spans(text):
        sentence = text[s:e]
        if not sentence[0].isupper() or sentence.rstrip()[-1] not in ".!?\"'”’":
            return False
        if _DANGLING_END.search(sentence) or _DANGLING_START.match(sentence):
            return False
        if any(_fix_article(m) != m.group(0) for m in _ARTICLE.finditer(sentence)):
            return False
    return True
