"""From verifier checks to verdicts: per claim (supported or not), per caption (what to do).

Verdicts combine by weighted vote: each verifier that scored a claim adds its weight when the
score clears its threshold and subtracts it otherwise; a claim with a negative total is
unsupported, one no verifier could judge is unverified. The caption's hallucination rate is
unsupported claims / claims (CHAIR-i style, negated objects excluded).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from recaption.crosscheck.claims import Claim
from recaption.crosscheck.verifiers.base import Check

SUPPORTED, UNSUPPORTED, UNVERIFIED, ABSENT = "supported", "unsupported", "unverified", "absent"
KEEP, REPAIR, FALLBACK, REJECT, NO_CAPTION = "keep", "repair", "fallback", "reject", "no_caption"


@dataclass(frozen=True)
class ClaimVerdict:
    """A claim with the checks it received and the verdict they add up to."""

    claim: Claim
    checks: tuple[Check, ...]
    verdict: str
    support: float | None  # weighted vote / total weight, in [-1, 1]; None when unverified

    @property
    def contradicted_by_alt_text(self) -> bool:
        return any(c.verifier == "alt_text" and not c.passed for c in self.checks)

    def to_json(self) -> dict:
        out = {**self.claim.to_json(), "verdict": self.verdict,
               "checks": [c.to_json() for c in self.checks]}
        if self.support is not None:
            out["support"] = round(self.support, 4)
        if self.contradicted_by_alt_text:
            out["contradicted_by_alt_text"] = True
        return out


def claim_verdict(claim: Claim, checks: Sequence[Check | None],
                  unverified_is_unsupported: bool = False) -> ClaimVerdict:
    """Combine one claim's checks into its verdict."""
    got = tuple(c for c in checks if c is not None)
    if claim.negated:
        return ClaimVerdict(claim, (), ABSENT, None)
    if not got:
        verdict = UNSUPPORTED if unverified_is_unsupported else UNVERIFIED
        return ClaimVerdict(claim, (), verdict, None)
    total = sum(c.weight for c in got)
    vote = sum(c.weight if c.passed else -c.weight for c in got)
    support = vote / total if total else 0.0
    return ClaimVerdict(claim, got, SUPPORTED if vote >= 0 else UNSUPPORTED, support)


def hallucination_rate(verdicts: Sequence[ClaimVerdict]) -> float:
    """Unsupported claims / claims of presence (0 for a caption that claims nothing)."""
    counted = [v for v in verdicts if v.verdict != ABSENT]
    if not counted:
        return 0.0
    return sum(v.verdict == UNSUPPORTED for v in counted) / len(counted)


@dataclass(frozen=True)
class Policy:
    """When a caption is kept, repaired or given up on.

    ``keep_max``: the highest rate kept as it is; ``repair_max``: the highest rate worth repairing
    (a caption beyond it is mostly hallucinated, so another variant is tried instead);
    ``min_words``: a repaired caption shorter than this is no caption; ``max_rounds``: repair and
    re-check at most this often; ``fallback_to_alt_text``: use the alt-text when every synthetic
    variant fails (it is then checked like a variant).
    """

    keep_max: float = 0.0
    repair_max: float = 0.5
    min_words: int = 3
    max_rounds: int = 2
    unverified_is_unsupported: bool = False
    fallback_to_alt_text: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.keep_max <= self.repair_max <= 1.0:
            raise ValueError("policy needs 0 <= keep_max <= repair_max <= 1")
        if self.min_words < 1 or self.max_rounds < 0:
            raise ValueError("policy needs min_words >= 1 and max_rounds >= 0")
