"""The verifier contract: each verifier scores the claims it can judge against one record's evidence.

A verifier returns a support score in [0, 1] per claim (None where it has no evidence either way)
and carries a threshold per claim kind, calibrated on labelled data for that verifier alone
(scores from different verifiers are not comparable). Scores are cached per record by
:attr:`Claim.key`, so re-checking a repaired caption only scores the claims that are new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from recaption.crosscheck.claims import Claim


@dataclass
class Evidence:
    """What one record offers to check claims against: its decoded image and its alt-text."""

    image: Any = None  # a PIL image, or None when the record has none or it failed to decode
    alt_text: str | None = None
    image_error: str | None = None
    cache: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """One verifier's judgement of one claim."""

    verifier: str
    score: float
    threshold: float
    weight: float

    @property
    def passed(self) -> bool:
        return self.score >= self.threshold

    def to_json(self) -> dict:
        return {"verifier": self.verifier, "score": round(self.score, 4),
                "threshold": self.threshold, "passed": self.passed}


class Verifier:
    """Base class: subclasses set ``name``, ``kinds`` and ``default_thresholds`` and implement
    :meth:`score`. ``weight`` is how much the verifier's vote counts when verdicts combine."""

    name: str = ""
    kinds: frozenset[str] = frozenset()
    default_thresholds: Mapping[str, float] = {}
    default_weight: float = 1.0

    def __init__(self, *, thresholds: Mapping[str, float] | None = None,
                 weight: float | None = None):
        unknown = set(thresholds or {}) - set(self.kinds)
        if unknown:
            raise ValueError(f"{self.name}: thresholds for kinds it does not judge: {unknown}")
        self.thresholds = {**self.default_thresholds, **(thresholds or {})}
        self.weight = self.default_weight if weight is None else float(weight)

    def setup(self) -> None:
        """Load models; called once per worker before the first :meth:`check`."""

    def models(self) -> list[dict]:
        """Manifest entries for the models this verifier uses."""
        return []

    def score(self, evidence: Sequence[Evidence],
              claims: Sequence[Sequence[Claim]]) -> list[list[float | None]]:
        """Support scores for ``claims[i]`` against ``evidence[i]`` (only kinds in ``kinds``)."""
        raise NotImplementedError

    def check(self, evidence: Sequence[Evidence],
              claims: Sequence[Sequence[Claim]]) -> list[list[Check | None]]:
        """:meth:`score` the claims not scored before for the same record, and wrap the scores."""
        todo: list[list[Claim]] = []
        for ev, cs in zip(evidence, claims, strict=True):
            seen, mine = set(), []
            for c in cs:
                key = (self.name, c.key)
                if self.judges(c) and key not in ev.cache and key not in seen:
                    seen.add(key)
                    mine.append(c)
            todo.append(mine)
        if any(todo):
            for ev, cs, scores in zip(evidence, todo, self.score(evidence, todo), strict=True):
                for c, s in zip(cs, scores, strict=True):
                    ev.cache[(self.name, c.key)] = s
        out = []
        for ev, cs in zip(evidence, claims, strict=True):
            row = []
            for c in cs:
                s = ev.cache.get((self.name, c.key)) if self.judges(c) else None
                row.append(None if s is None else
                           Check(self.name, float(s), self.thresholds[c.kind], self.weight))
            out.append(row)
        return out

    def judges(self, claim: Claim) -> bool:
        return claim.kind in self.kinds and not claim.negated
