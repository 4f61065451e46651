"""Claim extraction: what a caption says is in its image, each claim with its character span.

Four kinds of claim: ``object`` (a vocabulary class is present), ``attribute`` (a colour, size or
material bound to an object), ``count`` (how many of an object) and ``text`` (words written in
the image). Objects under a negation ("no people", "without a roof") are kept with
``negated=True``: they are not claims of presence and are never verified or counted.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from recaption.crosscheck.quotes import quoted_texts, sentence_spans
from recaption.crosscheck.vocab import Vocabulary, load_vocabulary

__all__ = ["KINDS", "Claim", "extract_claims", "number_word", "sentence_spans"]

KINDS = ("object", "attribute", "count", "text")

_TOKEN = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d-]")
_TEXT = "\x00text"
_INTENSIFIERS = frozenset(
    ["very", "bright", "dark", "light", "pale", "deep", "mostly", "partly", "all", "fully", "entirely", "vivid", "pure"]
)
_NUMBER_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]
_LINKING = frozenset(["is", "are", "was", "were", "looks", "look", "appears", "appear", "seems", "seem"])
_SCOPE_CONTINUE = frozenset(("or", "nor", "and", ",", "any", "single", "of"))
_SCOPE_END_AFTER_COMMA = frozenset(("and", "but", "while", "with", "which", "where"))
_NEG_VERBS = frozenset(
    [
        "have",
        "has",
        "had",
        "contain",
        "contains",
        "show",
        "shows",
        "include",
        "includes",
        "wear",
        "wears",
        "see",
        "seen",
        "visible",
        "present",
        "there",
        "is",
        "are",
        "be",
        "been",
    ]
)


@dataclass(frozen=True)
class Claim:
    """One thing a caption asserts about its image.

    ``start``/``end`` span the claim's own words in the caption; ``np_start``/``np_end`` span the
    phrase that carries it (the whole noun phrase, or a quote with its cue), which repair removes.
    ``value`` is the attribute value, the count or the quoted text.
    """

    kind: str
    phrase: str
    start: int
    end: int
    np_start: int
    np_end: int
    sentence: int
    object: str | None = None
    attribute: str | None = None
    value: str | int | None = None
    negated: bool = False
    predicate: bool = False

    @property
    def key(self) -> tuple:
        """What the claim asserts, independent of where: re-checks reuse scores by this key."""
        return (self.kind, self.object, self.attribute, self.value, self.phrase.lower())

    def to_json(self) -> dict:
        out = asdict(self)
        return {k: v for k, v in out.items() if v not in (None, False)}


@dataclass(frozen=True)
class _Tok:
    w: str
    start: int
    end: int


def number_word(n: int) -> str:
    """English word for small counts, digits beyond twenty ("two", "12" -> "twelve")."""
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def _tokens(text: str, quotes: list[tuple[int, int, int, int, str]]) -> list[_Tok]:
    toks: list[_Tok] = []
    hidden = [(q[1], q[2]) for q in quotes]
    for m in _TOKEN.finditer(text):
        if any(a <= m.start() < b for a, b in hidden):
            if not toks or toks[-1].w != _TEXT:
                toks.append(_Tok(_TEXT, m.start(), m.end()))
            continue
        toks.append(_Tok(m.group(0).lower(), m.start(), m.end()))
    return toks


def extract_claims(caption: str, vocab: Vocabulary | None = None) -> list[Claim]:
    """Every claim in ``caption``, in reading order."""
    vocab = vocab or load_vocabulary()
    quotes = quoted_texts(caption, vocab)
    sentences = sentence_spans(caption)
    claims: list[Claim] = []
    for cue_start, start, end, quote_end, content in quotes:
        claims.append(
            Claim(
                kind="text",
                phrase=content,
                start=start,
                end=end,
                np_start=cue_start,
                np_end=quote_end,
                sentence=_sentence_of(sentences, start),
                value=content,
            )
        )
    toks = _tokens(caption, quotes)
    for index, (s_start, s_end) in enumerate(sentences):
        sent = [t for t in toks if s_start <= t.start < s_end]
        claims.extend(_SentenceScanner(caption, sent, index, vocab).claims())
    return sorted(claims, key=lambda c: (c.start, KINDS.index(c.kind)))


def _sentence_of(sentences: list[tuple[int, int]], pos: int) -> int:
    for i, (s, e) in enumerate(sentences):
        if s <= pos < e:
            return i
    return max(len(sentences) - 1, 0)


class _SentenceScanner:
    """Finds object, attribute and count claims in one sentence's tokens."""

    def __init__(self, text: str, toks: list[_Tok], sentence: int, vocab: Vocabulary):
        self.text, self.toks, self.sentence, self.v = text, toks, sentence, vocab

    def claims(self) -> list[Claim]:
        out: list[Claim] = []
        matches = self._object_matches()
        negated = self._negated_positions()
        for n, (i, j, entry) in enumerate(matches):
            nxt = matches[n + 1][0] if n + 1 < len(matches) else None
            if nxt == j:
                continue  # noun-noun compound ("dog bed", "pizza box"): the first is a modifier
            out.extend(self._claims_for(i, j, entry.canonical, i in negated))
        out.extend(self._nobody())
        return sorted(out, key=lambda c: c.start)

    def _nobody(self) -> list[Claim]:
        """ "nobody", "no one": a person, negated."""
        out = []
        for k, tok in enumerate(self.toks):
            two = k + 1 < len(self.toks) and tok.w == "no" and self.toks[k + 1].w == "one"
            if tok.w == "nobody" or two:
                end = self.toks[k + 1].end if two else tok.end
                out.append(
                    Claim(
                        kind="object",
                        phrase=self.text[tok.start : end],
                        start=tok.start,
                        end=end,
                        np_start=tok.start,
                        np_end=end,
                        sentence=self.sentence,
                        object="person",
                        negated=True,
                    )
                )
        return out

    def _object_matches(self):
        toks, v = self.toks, self.v
        found, i = [], 0
        while i < len(toks):
            hit = None
            for length in range(min(v.max_words, len(toks) - i), 0, -1):
                entry = v.objects.get(tuple(t.w for t in toks[i : i + length]))
                if entry is not None:
                    hit = (i, i + length, entry)
                    break
            if hit and self._is_object(*hit):
                found.append(hit)
                i = hit[1]
            else:
                i += 1
        return found

    def _is_object(self, i: int, j: int, entry) -> bool:
        toks, v = self.toks, self.v
        word = toks[i].w
        following = toks[j].w if j < len(toks) else ""
        if (
            j - i == 1
            and v.attribute(word)
            and (following in v.objects or v.objects.get((following,)) or v.attribute(following))
        ):
            return False  # "an orange cat", "a paper bag": the word is an attribute here
        if j - i == 1 and word in v.ambiguous:
            before = toks[i - 1].w if i > 0 else ""
            return bool(
                before in v.determiners
                or before in v.numbers
                or before.isdigit()
                or v.attribute(before)
                or before in ("s", "of", _TEXT)
                or before in _INTENSIFIERS
                or following in v.text_cues
                or following in (_TEXT, "that", "with")
            )
        return True

    def _negated_positions(self) -> set[int]:
        toks, v = self.toks, self.v
        negated, active, after_not = set(), False, False
        for k, tok in enumerate(toks):
            w = tok.w
            if w in v.negations:
                active, after_not = True, w in ("not", "never")
                if w == "nobody":
                    negated.add(k)
                continue
            if not active:
                continue
            prev = toks[k - 1].w if k else ""
            following = toks[k + 1].w if k + 1 < len(toks) else ""
            if prev == "," and w in _SCOPE_END_AFTER_COMMA:
                active = False
            elif w == "and" and following in ("a", "an", "the", "some", "one", "its", "their"):
                active = False  # "no cars and a dog": the dog is there; "no cars or bikes" goes on
            elif (
                (
                    w in v.determiners
                    or v.attribute(w)
                    or w in v.numbers
                    or w.isdigit()
                    or w in _INTENSIFIERS
                    or w in _SCOPE_CONTINUE
                    or w in v.vague
                )
                or after_not
                and (w in _NEG_VERBS or w.endswith("ing"))
            ):
                negated.add(k)
            elif w in v.first_words:
                negated.add(k)
                after_not = False
            else:
                active = False
        return negated

    def _claims_for(self, i: int, j: int, canonical: str, negated: bool) -> list[Claim]:
        toks, v, text = self.toks, self.v, self.text
        noun_start, noun_end = toks[i].start, toks[j - 1].end
        noun = text[noun_start:noun_end]
        mods = self._modifiers(i)
        np_start = toks[mods[-1]].start if mods else noun_start
        if i > 0 and toks[i - 1].w == "of" and i > 1 and toks[i - 2].w in ("pair", "couple", "dozen"):
            np_start = min(np_start, toks[i - 2].start)
        base = dict(np_start=np_start, np_end=noun_end, sentence=self.sentence, object=canonical)
        object_claim = Claim(kind="object", phrase=noun, start=noun_start, end=noun_end, negated=negated, **base)
        if negated:
            return [object_claim]
        out = [object_claim]
        for k in reversed(mods):
            w = toks[k].w
            attr = v.attribute(w)
            if attr:
                out.append(
                    Claim(
                        kind="attribute",
                        phrase=f"{toks[k].w} {noun}",
                        start=toks[k].start,
                        end=toks[k].end,
                        attribute=attr[0],
                        value=attr[1],
                        **base,
                    )
                )
            elif w in v.numbers or (w.isdigit() and 0 < int(w) <= 100):
                count = v.numbers.get(w) or int(w)
                out.append(
                    Claim(
                        kind="count",
                        phrase=f"{number_word(count)} {noun}",
                        start=toks[k].start,
                        end=toks[k].end,
                        value=count,
                        **base,
                    )
                )
        out.extend(self._predicates(j, noun, base))
        return out

    def _modifiers(self, i: int) -> list[int]:
        """Token indexes of the attribute and number words before the noun at ``i``."""
        toks, v = self.toks, self.v
        mods, k = [], i - 1
        if k >= 1 and toks[k].w == "of" and toks[k - 1].w in ("pair", "couple", "dozen"):
            return [k - 1]
        while k >= 0:
            w = toks[k].w
            if v.attribute(w) or w in v.numbers or w.isdigit() or w in _INTENSIFIERS:
                if w not in _INTENSIFIERS:
                    mods.append(k)
                k -= 1
            elif w in ("and", ",", "or") and k + 1 < i and v.attribute(toks[k + 1].w):
                k -= 1
            else:
                break
        return mods

    def _predicates(self, j: int, noun: str, base: dict) -> list[Claim]:
        """Attributes after a linking verb: "the bus is red and white"."""
        toks, v = self.toks, self.v
        if j >= len(toks) or toks[j].w not in _LINKING:
            return []
        out, k = [], j + 1
        while k < len(toks):
            w = toks[k].w
            attr = v.attribute(w)
            if attr:
                out.append(
                    Claim(
                        kind="attribute",
                        phrase=f"{w} {noun}",
                        start=toks[k].start,
                        end=toks[k].end,
                        attribute=attr[0],
                        value=attr[1],
                        predicate=True,
                        **base,
                    )
                )
            elif not (
                w in _INTENSIFIERS or w in ("and", ",", "or", "painted", "colored", "coloured", "made", "of", "in")
            ):
                break
            k += 1
        return out
