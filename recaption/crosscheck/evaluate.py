"""Evaluate the cross-check on labelled captions: CHAIR before and after repair, and how well it
finds the unsupported claims.

A labelled record is ``{"image": path, "caption": str, "present": [objects],
"text_in_image": str or null}`` (image paths relative to the file), optionally with
``"alt_text"``, ``"counts": {object: n}`` and ``"attributes": {object: [values]}``. The truth of
a claim: an object is real when it is in ``present``; quoted text when it matches
``text_in_image``; a count or attribute when the labels give it, or false when its object is
absent; otherwise unknown, and left out of precision and recall.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from recaption.crosscheck.checker import CrossChecker
from recaption.crosscheck.claims import Claim, extract_claims
from recaption.crosscheck.decide import REJECT, UNSUPPORTED
from recaption.crosscheck.stage import decode_evidence
from recaption.crosscheck.verifiers.fuzzy import text_support
from recaption.crosscheck.vocab import Vocabulary


class Labels:
    """One record's ground truth, normalised to the vocabulary's class names."""

    def __init__(self, record: dict, vocab: Vocabulary):
        self.present = {vocab.canonical(p) or p.lower() for p in record.get("present") or []}
        self.text = record.get("text_in_image")
        self.counts = {vocab.canonical(k) or k: int(v) for k, v in (record.get("counts") or {}).items()}
        self.attributes = {
            vocab.canonical(k) or k: {vocab.attribute(w)[1] if vocab.attribute(w) else w for w in vs}
            for k, vs in (record.get("attributes") or {}).items()
        }

    def hallucinated(self, claim: Claim) -> bool | None:
        """True when the claim is false, False when true, None when the labels cannot tell."""
        if claim.negated:
            return None
        if claim.kind == "text":
            return not self.text or text_support(str(claim.value), [self.text]) < 0.8
        if claim.object not in self.present:
            return True
        if claim.kind == "count" and claim.object in self.counts:
            return self.counts[claim.object] != claim.value
        if claim.kind == "attribute" and claim.object in self.attributes:
            return claim.value not in self.attributes[claim.object]
        return False if claim.kind == "object" else None


def load_labelled(path: str | Path) -> list[dict]:
    """The records of a labelled JSONL file; a line that is not a JSON object raises ValueError."""
    records = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        if not isinstance(record, dict) or "image" not in record or "caption" not in record:
            raise ValueError(f"{path}:{n}: a record needs 'image' and 'caption'")
        records.append(record)
    return records


def evaluate(records: list[dict], checker: CrossChecker, base: Path, batch_size: int = 16):
    """Check every record; returns (per-record rows, report dict)."""
    rows: list[dict[str, Any]] = []
    for i in range(0, len(records), batch_size):
        chunk = records[i : i + batch_size]
        evidence = [decode_evidence(_read(base, r["image"]), r.get("alt_text")) for r in chunk]
        results = checker.check(evidence, [[("caption", r["caption"])] for r in chunk])
        for record, ev, result in zip(chunk, evidence, results, strict=True):
            labels = Labels(record, checker.vocab)
            claims = result.variants[0].verdicts if result.variants else []
            final = result.caption if result.action != REJECT else None
            rows.append(
                {
                    "image": record["image"],
                    "caption": record["caption"],
                    "action": result.action,
                    "final_caption": final,
                    "image_error": ev.image_error,
                    "claims": [{**v.to_json(), "hallucinated": labels.hallucinated(v.claim)} for v in claims],
                    "final_hallucinated_objects": None
                    if final is None
                    else [
                        c.phrase
                        for c in extract_claims(final, checker.vocab)
                        if c.kind == "object" and labels.hallucinated(c)
                    ],
                    "check": result.to_json(),
                }
            )
    return rows, report(rows)


def _read(base: Path, path: str) -> bytes | None:
    try:
        return (base / path).read_bytes()
    except OSError:
        return None


def report(rows: list[dict]) -> dict:
    """CHAIR-i/CHAIR-s before and after repair, precision/recall at finding unsupported claims."""
    objects = [c for r in rows for c in r["claims"] if c["kind"] == "object" and not c.get("negated")]
    before_i = _ratio(sum(bool(c["hallucinated"]) for c in objects), len(objects))
    before_s = _ratio(sum(any(c["hallucinated"] for c in _objs(r)) for r in rows), len(rows))
    kept = [r for r in rows if r["final_caption"] is not None]
    after_objects = sum(_object_count(r["final_caption"]) for r in kept)
    after_i = _ratio(sum(len(r["final_hallucinated_objects"]) for r in kept), after_objects)
    after_s = _ratio(sum(bool(r["final_hallucinated_objects"]) for r in kept), len(kept))
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    for c in (c for r in rows for c in r["claims"]):
        if c["hallucinated"] is None:
            continue
        flagged = c["verdict"] == UNSUPPORTED
        cell = by_kind[c["kind"]]
        cell[0] += flagged and c["hallucinated"]
        cell[1] += flagged and not c["hallucinated"]
        cell[2] += (not flagged) and c["hallucinated"]
    total = [sum(v[k] for v in by_kind.values()) for k in range(3)]
    actions: dict[str, int] = defaultdict(int)
    for r in rows:
        actions[r["action"]] += 1
    return {
        "records": len(rows),
        "claims": sum(len(r["claims"]) for r in rows),
        "chair_i_before": before_i,
        "chair_s_before": before_s,
        "chair_i_after": after_i,
        "chair_s_after": after_s,
        "captions_after": len(kept),
        "actions": dict(actions),
        "unsupported_detection": _prf(*total),
        "unsupported_detection_by_kind": {k: _prf(*v) for k, v in sorted(by_kind.items())},
        "image_errors": sum(r["image_error"] is not None for r in rows),
    }


def _objs(row: dict) -> list[dict]:
    return [c for c in row["claims"] if c["kind"] == "object" and not c.get("negated")]


def _object_count(text: str) -> int:
    return sum(c.kind == "object" and not c.negated for c in extract_claims(text))


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _prf(tp: int, fp: int, fn: int) -> dict:
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = None
    if precision is not None and recall is not None and precision + recall:
        f1 = round(2 * precision * recall / (precision + recall), 4)
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}
