"""Hallucination cross-check: verify every synthetic caption against its image, claim by claim.

Claims (objects, attributes, counts, quoted text) are extracted with character spans
(:mod:`.claims`), scored by verifiers (CLIP grounding, OCR, an open-vocabulary detector,
agreement with the alt-text; :mod:`.verifiers`), combined into verdicts and a per-caption action
(:mod:`.decide`), and unsupported claims are cut out of the caption (:mod:`.repair`) and
re-checked (:mod:`.checker`). :class:`CrossCheck` is the pipeline stage.
"""

from recaption.crosscheck.checker import CaptionCheck, CrossChecker, RecordCheck
from recaption.crosscheck.claims import Claim, extract_claims
from recaption.crosscheck.decide import Policy
from recaption.crosscheck.repair import is_tidy, repair
from recaption.crosscheck.stage import CrossCheck, CrossCheckConfig
from recaption.crosscheck.vocab import load_vocabulary

__all__ = [
    "CaptionCheck",
    "Claim",
    "CrossCheck",
    "CrossCheckConfig",
    "CrossChecker",
    "Policy",
    "RecordCheck",
    "extract_claims",
    "is_tidy",
    "load_vocabulary",
    "repair",
]
