"""Alt-text agreement: the record's own alt-text as a second, independent witness.

A claim the alt-text also makes is corroborated (score 1); one it contradicts (a different count
or colour for the same object, or the object said to be absent) is flagged (score 0); about
anything else the alt-text says nothing (None).
"""

from __future__ import annotations

from collections.abc import Sequence

from recaption.crosscheck.claims import Claim, extract_claims
from recaption.crosscheck.verifiers.base import Evidence, Verifier
from recaption.crosscheck.verifiers.fuzzy import text_support
from recaption.crosscheck.vocab import Vocabulary, load_vocabulary

_CLAIMS = "alt_text:claims"


class AltTextAgreement(Verifier):
    """Scores every kind of claim by agreement with the claims extracted from the alt-text."""

    name = "alt_text"
    kinds = frozenset({"object", "attribute", "count", "text"})
    default_thresholds = {"object": 0.5, "attribute": 0.5, "count": 0.5, "text": 0.5}
    default_weight = 2.0

    def __init__(self, *, vocab: Vocabulary | None = None, text_match: float = 0.8, **kwargs):
        super().__init__(**kwargs)
        self.text_match = text_match
        self._vocab = vocab

    def score(self, evidence: Sequence[Evidence],
              claims: Sequence[Sequence[Claim]]) -> list[list[float | None]]:
        vocab = self._vocab or load_vocabulary()
        out = []
        for ev, cs in zip(evidence, claims, strict=True):
            if not ev.alt_text or not cs:
                out.append([None] * len(cs))
                continue
            if _CLAIMS not in ev.cache:
                ev.cache[_CLAIMS] = extract_claims(ev.alt_text, vocab)
            alt = ev.cache[_CLAIMS]
            out.append([self._agreement(c, alt, ev.alt_text, vocab) for c in cs])
        return out

    def _agreement(self, claim: Claim, alt: list[Claim], alt_text: str,
                   vocab: Vocabulary) -> float | None:
        if claim.kind == "text":
            quoted = [a.value for a in alt if a.kind == "text"]
            if text_support(str(claim.value), [*quoted, alt_text]) >= self.text_match:
                return 1.0
            return None
        same = [a for a in alt if a.object == claim.object and a.kind != "text"]
        if any(a.kind == "object" and a.negated for a in same):
            return 0.0
        if claim.kind == "object":
            return 1.0 if any(a.kind == "object" for a in same) else None
        if claim.kind == "count":
            counts = {a.value for a in same if a.kind == "count"}
            if not counts:
                return None
            return 1.0 if claim.value in counts else 0.0
        values = {a.value for a in same
                  if a.kind == "attribute" and a.attribute == claim.attribute}
        if not values:
            return None
        if claim.value in values:
            return 1.0
        if all(vocab.contradicts(claim.attribute, str(claim.value), str(v)) for v in values):
            return 0.0
        return None
