"""The cross-check itself: claims -> verifiers -> verdicts -> keep, repair, fall back or reject.

:class:`CrossChecker` is plain Python over lists (no Arrow, no Ray): the ``CrossCheck`` stage and
the ``loomery crosscheck`` command both drive it. All the claims of a batch go to each verifier
at once, so that models see batches; repaired captions are re-checked the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from recaption.crosscheck.claims import Claim, extract_claims
from recaption.crosscheck.decide import (
    FALLBACK,
    KEEP,
    NO_CAPTION,
    REJECT,
    REPAIR,
    UNSUPPORTED,
    ClaimVerdict,
    Policy,
    claim_verdict,
    hallucination_rate,
)
from recaption.crosscheck.repair import repair
from recaption.crosscheck.verifiers.base import Evidence, Verifier
from recaption.crosscheck.vocab import Vocabulary, load_vocabulary

FAIL = "fail"  # a variant that could be neither kept nor repaired
ALT_TEXT_VARIANT = "original"  # the record's own alt-text, when it is the fallback


@dataclass
class CaptionCheck:
    """One caption variant's check: its verdicts, and the repair when one was made."""

    variant: str
    caption: str
    verdicts: list[ClaimVerdict]
    rate: float
    outcome: str = KEEP  # keep | repair | fail
    repaired: str | None = None
    verdicts_after: list[ClaimVerdict] = field(default_factory=list)
    rate_after: float | None = None
    rounds: int = 0

    @property
    def text(self) -> str | None:
        """The caption to use from this variant, or None when it failed."""
        return {KEEP: self.caption, REPAIR: self.repaired}.get(self.outcome)

    @property
    def claims(self) -> int:
        return sum(v.verdict != "absent" for v in self.verdicts)

    def to_json(self) -> dict:
        out = {"variant": self.variant, "caption": self.caption, "outcome": self.outcome,
               "rate": round(self.rate, 4), "claims": [v.to_json() for v in self.verdicts]}
        if self.rounds:
            out.update(repaired=self.repaired, rounds=self.rounds,
                       rate_after=None if self.rate_after is None else round(self.rate_after, 4),
                       claims_after=[v.to_json() for v in self.verdicts_after])
        return out


@dataclass
class RecordCheck:
    """A record's outcome: every variant's check, the one chosen and what was done."""

    variants: list[CaptionCheck]
    action: str
    chosen: str | None = None
    caption: str | None = None

    @property
    def rate(self) -> float | None:
        """The first variant's hallucination rate before repair (None without captions)."""
        return self.variants[0].rate if self.variants else None

    def to_json(self) -> dict:
        return {"action": self.action, "chosen": self.chosen, "caption": self.caption,
                "variants": [v.to_json() for v in self.variants]}


class CrossChecker:
    """Checks captions against evidence with ``verifiers`` and decides with ``policy``."""

    def __init__(self, verifiers: Sequence[Verifier], policy: Policy | None = None,
                 vocab: Vocabulary | None = None):
        names = [v.name for v in verifiers]
        if len(set(names)) != len(names):
            raise ValueError(f"verifier names must be distinct: {names}")
        self.verifiers = list(verifiers)
        self.policy = policy or Policy()
        self.vocab = vocab or load_vocabulary()

    def setup(self) -> None:
        for v in self.verifiers:
            v.setup()

    def verify(self, evidence: Sequence[Evidence], texts: Sequence[str],
               exclude: frozenset[str] = frozenset()) -> list[list[ClaimVerdict]]:
        """Extract and verify the claims of ``texts[i]`` against ``evidence[i]``."""
        claims = [extract_claims(t, self.vocab) for t in texts]
        return self.verify_claims(evidence, claims, exclude)

    def verify_claims(self, evidence: Sequence[Evidence], claims: Sequence[Sequence[Claim]],
                      exclude: frozenset[str] = frozenset()) -> list[list[ClaimVerdict]]:
        checks = [v.check(evidence, claims) for v in self.verifiers if v.name not in exclude]
        out = []
        for i, cs in enumerate(claims):
            out.append([
                claim_verdict(c, [per[i][j] for per in checks],
                              self.policy.unverified_is_unsupported)
                for j, c in enumerate(cs)
            ])
        return out

    def check(self, evidence: Sequence[Evidence],
              captions: Sequence[Sequence[tuple[str, str | None]]]) -> list[RecordCheck]:
        """Check every record's caption variants, ``captions[i] = [(variant, text), ...]`` in
        order of preference, and decide each record's action."""
        jobs = [(i, name, text) for i, row in enumerate(captions)
                for name, text in row if text and text.strip()]
        results = self._check_captions(evidence, jobs)
        by_record: list[list[CaptionCheck]] = [[] for _ in captions]
        for (i, _, _), result in zip(jobs, results, strict=True):
            by_record[i].append(result)
        if self.policy.fallback_to_alt_text:
            self._alt_text_fallback(evidence, by_record)
        return [self._decide(checks) for checks in by_record]

    def _check_captions(self, evidence, jobs, exclude=frozenset()) -> list[CaptionCheck]:
        ev = [evidence[i] for i, _, _ in jobs]
        verdicts = self.verify(ev, [t for _, _, t in jobs], exclude)
        results = [CaptionCheck(name, text, vs, hallucination_rate(vs))
                   for (_, name, text), vs in zip(jobs, verdicts, strict=True)]
        pending = []
        for k, r in enumerate(results):
            if r.rate <= self.policy.keep_max:
                r.outcome = KEEP
            elif r.rate <= self.policy.repair_max and self.policy.max_rounds > 0:
                pending.append(k)
            else:
                r.outcome = FAIL
        self._repair(ev, results, pending, exclude)
        return results

    def _repair(self, ev, results: list[CaptionCheck], pending: list[int], exclude) -> None:
        """Repair and re-check, round after round, until clean, too short or out of rounds."""
        current = {k: (results[k].caption, results[k].verdicts) for k in pending}
        for round_no in range(1, self.policy.max_rounds + 1):
            if not pending:
                return
            texts = {}
            for k in pending:
                text, verdicts = current[k]
                bad = [v.claim for v in verdicts if v.verdict == UNSUPPORTED]
                texts[k] = repair(text, bad, [v.claim for v in verdicts])
                results[k].rounds = round_no
                results[k].repaired = texts[k]
            alive = [k for k in pending if len(texts[k].split()) >= self.policy.min_words]
            for k in set(pending) - set(alive):
                results[k].outcome = FAIL
            rechecked = self.verify([ev[k] for k in alive], [texts[k] for k in alive], exclude)
            pending = []
            for k, verdicts in zip(alive, rechecked, strict=True):
                r = results[k]
                r.verdicts_after, r.rate_after = verdicts, hallucination_rate(verdicts)
                current[k] = (texts[k], verdicts)
                if r.rate_after <= self.policy.keep_max:
                    r.outcome = REPAIR
                elif round_no < self.policy.max_rounds:
                    pending.append(k)
                else:
                    r.outcome = FAIL

    def _alt_text_fallback(self, evidence, by_record: list[list[CaptionCheck]]) -> None:
        jobs = [(i, ALT_TEXT_VARIANT, evidence[i].alt_text) for i, checks in enumerate(by_record)
                if checks and all(c.outcome == FAIL for c in checks)
                and evidence[i].alt_text and evidence[i].alt_text.strip()]
        # The alt-text cannot corroborate itself: it is checked without that verifier.
        results = self._check_captions(evidence, jobs, exclude=frozenset({"alt_text"}))
        for (i, _, _), result in zip(jobs, results, strict=True):
            by_record[i].append(result)

    @staticmethod
    def _decide(checks: list[CaptionCheck]) -> RecordCheck:
        if not checks:
            return RecordCheck(checks, NO_CAPTION)
        for n, c in enumerate(checks):
            if c.outcome in (KEEP, REPAIR):
                action = c.outcome if n == 0 else FALLBACK
                return RecordCheck(checks, action, c.variant, c.text)
        return RecordCheck(checks, REJECT)
