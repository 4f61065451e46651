"""Hallucination cross-check: verify every synthetic caption against its image, claim by claim.

Claims (objects, attributes, counts, quoted text) are extracted with character spans
(:mod:`.claims`), scored by verifiers (CLIP grounding, OCR, an open-vocabulary detector,
agreement with the alt-text; :mod:`.verifiers`), combined into verdicts and a per-caption action
(:mod:`.decide`), and unsupported claims are cut out of the caption (:mod:`.repair`) and
re-checked (:mod:`.checker`). :class:`CrossCheck` is the pipeline stage.
"""

from engine.exports import lazy_exports

EXPORTS = {
    "CaptionCheck": "recaption.crosscheck.checker",
    "CrossChecker": "recaption.crosscheck.checker",
    "RecordCheck": "recaption.crosscheck.checker",
    "Claim": "recaption.crosscheck.claims",
    "extract_claims": "recaption.crosscheck.claims",
    "Policy": "recaption.crosscheck.decide",
    "is_tidy": "recaption.crosscheck.repair",
    "repair": "recaption.crosscheck.repair",
    "CrossCheck": "recaption.crosscheck.stage",
    "CrossCheckConfig": "recaption.crosscheck.stage",
    "load_vocabulary": "recaption.crosscheck.vocab",
}
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
