"""Threshold calibration per verifier and claim kind, from labelled claims.

Scores from different verifiers mean different things (a CLIP softmax, an OCR match ratio, a box
probability), so each (verifier, kind) gets its own threshold: the one that best separates true
from hallucinated claims on labelled data (Youden's J: true-positive rate minus false-positive
rate, with "supported" as positive). ``loomery crosscheck --calibrate`` writes them as JSON that
``CrossCheck(thresholds=...)`` takes as it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable


def best_threshold(scored: Iterable[tuple[float, bool]]) -> float | None:
    """The threshold maximising Youden's J over ``(score, truly_supported)`` pairs, or None when
    the pairs hold only one class."""
    pairs = sorted(scored)
    pos = sum(t for _, t in pairs)
    neg = len(pairs) - pos
    if not pos or not neg:
        return None
    scores = sorted({s for s, _ in pairs})
    candidates = [scores[0]] + [(a + b) / 2 for a, b in zip(scores, scores[1:], strict=False)]
    best, best_j = None, -2.0
    for thr in candidates:
        tpr = sum(t and s >= thr for s, t in pairs) / pos
        fpr = sum((not t) and s >= thr for s, t in pairs) / neg
        if tpr - fpr > best_j:
            best, best_j = thr, tpr - fpr
    return round(best, 6)


def calibrate(rows: Iterable[dict], min_per_class: int = 2) -> dict[str, dict[str, float]]:
    """Thresholds ``{verifier: {kind: value}}`` from evaluated rows (see :mod:`.evaluate`)."""
    groups: dict[tuple[str, str], list[tuple[float, bool]]] = defaultdict(list)
    for row in rows:
        for claim in row["claims"]:
            if claim.get("hallucinated") is None:
                continue
            for check in claim.get("checks", []):
                groups[(check["verifier"], claim["kind"])].append(
                    (check["score"], not claim["hallucinated"]))
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for (verifier, kind), pairs in sorted(groups.items()):
        pos = sum(t for _, t in pairs)
        if min(pos, len(pairs) - pos) < min_per_class:
            continue
        thr = best_threshold(pairs)
        if thr is not None:
            out[verifier][kind] = thr
    return dict(out)
