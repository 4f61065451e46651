"""``CrossCheck``: the pipeline stage that checks every synthetic caption against its image.

It reads the caption variant columns the recaption stage writes (``caption_<variant>``), uses the
alt-text (``caption``) as evidence, and adds:

- ``crosscheck``: JSON with every variant's claims, each claim's checks and verdict, the repair;
- ``crosscheck_action``: keep | repair | fallback | reject | no_caption;
- ``crosscheck_caption`` / ``crosscheck_variant``: the caption to train on and where it came from;
- ``crosscheck_rate`` / ``crosscheck_rate_after``: the first variant's hallucination rate before
  repair, and the chosen caption's after; ``crosscheck_claims`` / ``crosscheck_unsupported``.

A record none of whose captions can be kept or repaired is rejected (``hallucinated_caption``).
Documents (an ``images`` list column, caption columns as lists parallel to it) get the same
columns as lists parallel to ``images`` (the rates and counts summed or averaged per document)
and are never rejected for a caption.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from engine.stage import Filter, Resources, set_columns
from recaption.crosscheck.checker import CrossChecker, RecordCheck
from recaption.crosscheck.decide import REJECT, Policy
from recaption.crosscheck.verifiers.base import Evidence, Verifier

VERIFIERS = ("clip", "ocr", "alt_text", "detector")
REASON = "hallucinated_caption"
# Columns the recaption stage writes beside each caption, and others that are no caption.
_METADATA_SUFFIXES = ("_status", "_meta", "_prov", "_model", "_prompt", "_revision", "_params",
                      "_score", "_source", "_seconds", "_error", "_tokens", "_lang")
MAX_IMAGE_SIDE = 1600


@dataclass(frozen=True)
class CrossCheckConfig:
    """How a :class:`CrossCheck` decides and where it reads.

    The policy (see :class:`Policy`): ``keep_max``, ``repair_max``, ``min_words``,
    ``max_rounds``, ``fallback_to_alt_text``; ``reject=False`` annotates without rejecting
    anything. Columns: captions start with ``caption_prefix``, the alt-text (evidence) is
    ``alt_text_column``, the image ``image_column``. ``clip_model`` / ``detector_model`` name
    models other than the model set's; ``ocr_threads`` are the OCR verifier's threads.
    """

    keep_max: float = 0.0
    repair_max: float = 0.5
    min_words: int = 3
    max_rounds: int = 2
    fallback_to_alt_text: bool = False
    reject: bool = True
    caption_prefix: str = "caption_"
    alt_text_column: str | None = "caption"
    image_column: str = "image"
    clip_model: str | None = None
    detector_model: str | None = None
    ocr_threads: int = 1


class CrossCheck(Filter):
    """Cross-check synthetic captions claim by claim; repair, fall back or reject.

    ``variants``: caption columns in order of preference (default: every string column starting
    with the config's ``caption_prefix`` except metadata columns, in schema order).
    ``verifiers``: any of ``clip``, ``ocr``, ``alt_text``, ``detector``. ``models``: the model
    set naming the CLIP and detector (``test-tiny`` for tiny random models). ``thresholds``: per
    verifier, per claim kind; ``weights``: per verifier. The policy, columns and model overrides
    are ``config`` (:class:`CrossCheckConfig`).
    """

    name = "crosscheck"
    resources = Resources(num_cpus=1, batch_size=32, concurrency=1)
    score_columns = {"crosscheck_rate": (0.0, 1.0), "crosscheck_rate_after": (0.0, 1.0),
                     "crosscheck_claims": (0.0, 40.0)}

    def __init__(self, *, variants: Sequence[str] | None = None,
                 verifiers: Sequence[str] = ("clip", "ocr", "alt_text"), models: str = "default",
                 thresholds: Mapping[str, Mapping[str, float]] | None = None,
                 weights: Mapping[str, float] | None = None, config: CrossCheckConfig | None = None,
                 name: str | None = None, resources: Resources | None = None):
        super().__init__(name=name, resources=resources)
        c = config or CrossCheckConfig()
        unknown = set(verifiers) - set(VERIFIERS)
        if unknown or not verifiers:
            raise ValueError(f"verifiers must be some of {VERIFIERS}, got {list(verifiers)}")
        # the settings stay attributes (in this order): the manifest records them as before
        self.variants = list(variants) if variants is not None else None
        self.caption_prefix = c.caption_prefix
        self.alt_text_column = c.alt_text_column
        self.image_column = c.image_column
        self.verifier_names = list(verifiers)
        self.model_set = models
        self.reject = c.reject
        self.policy = Policy(keep_max=c.keep_max, repair_max=c.repair_max, min_words=c.min_words,
                             max_rounds=c.max_rounds, fallback_to_alt_text=c.fallback_to_alt_text)
        self._thresholds = {k: dict(v) for k, v in (thresholds or {}).items()}
        self._weights = dict(weights or {})
        self._checker = CrossChecker(self._build(c.clip_model, c.detector_model, c.ocr_threads),
                                     self.policy)

    def _build(self, clip_model, detector_model, ocr_threads) -> list[Verifier]:
        made: list[Verifier] = []
        for name in self.verifier_names:
            kw: dict[str, Any] = {"thresholds": self._thresholds.get(name),
                                  "weight": self._weights.get(name)}
            if name == "clip":
                from recaption.crosscheck.verifiers.clip import ClipGrounding

                made.append(ClipGrounding(model=clip_model, model_set=self.model_set, **kw))
            elif name == "detector":
                from recaption.crosscheck.verifiers.detector import OwlDetector

                made.append(OwlDetector(model=detector_model, model_set=self.model_set, **kw))
            elif name == "ocr":
                from recaption.crosscheck.verifiers.ocr import OcrVerifier

                made.append(OcrVerifier(threads=ocr_threads, **kw))
            else:
                from recaption.crosscheck.verifiers.alttext import AltTextAgreement

                made.append(AltTextAgreement(**kw))
        return made

    @property
    def checker(self) -> CrossChecker:
        """The checker this stage drives (its verifiers built from the stage's settings)."""
        return self._checker

    def setup(self) -> None:
        self._checker.setup()

    def models(self) -> list[dict[str, Any]]:
        return [{**m, "stage": self.name} for v in self._checker.verifiers for m in v.models()]

    def config(self) -> dict[str, Any]:
        out = super().config()
        out.update(policy=vars(self.policy),
                   thresholds={v.name: v.thresholds for v in self._checker.verifiers},
                   weights={v.name: v.weight for v in self._checker.verifiers})
        return out

    def variant_columns(self, schema: pa.Schema) -> list[str]:
        """The caption columns this stage checks in a batch with ``schema``."""
        if self.variants is not None:
            return [c if c.startswith(self.caption_prefix) else self.caption_prefix + c
                    for c in self.variants]
        return [f.name for f in schema
                if f.name.startswith(self.caption_prefix) and _is_text(f.type)
                and not f.name.endswith(_METADATA_SUFFIXES)]

    def __call__(self, batch: pa.Table) -> pa.Table:
        columns = [c for c in self.variant_columns(batch.schema) if c in batch.column_names]
        if "images" in batch.column_names and "image" not in batch.column_names:
            return self._documents(batch, columns)
        n = batch.num_rows
        alt = _column(batch, self.alt_text_column, n)
        images = _column(batch, self.image_column, n)
        evidence = [decode_evidence(img, text) for img, text in zip(images, alt, strict=True)]
        texts = {c: batch.column(c).to_pylist() for c in columns}
        captions = [[(c.removeprefix(self.caption_prefix), texts[c][i]) for c in columns]
                    for i in range(n)]
        results = self._checker.check(evidence, captions)
        batch = set_columns(batch, _columns(results, evidence))
        reasons = [REASON if self.reject and r.action == REJECT else None for r in results]
        scores = [min((v.rate for v in r.variants), default=None) for r in results]
        details = [f"no caption of {len(r.variants)} could be kept or repaired"
                   for r in results]
        return self.verdict(batch, reasons, scores=scores, thresholds=self.policy.repair_max,
                            details=details)


    def _documents(self, batch: pa.Table, columns: list[str]) -> pa.Table:
        """Documents: each image's captions (lists parallel to ``images``) are checked on their
        own; the results are lists parallel to ``images`` too. A document is never rejected for
        its captions: an image whose captions all fail gets action ``reject`` and no caption."""
        docs = batch.column("images").to_pylist()
        texts = {c: batch.column(c).to_pylist() for c in columns}
        where, evidence, captions = [], [], []
        for row, images in enumerate(docs):
            for pos, data in enumerate(images or []):
                if data is None:
                    continue
                where.append((row, pos))
                evidence.append(decode_evidence(data, None))
                captions.append([(c.removeprefix(self.caption_prefix), _at(texts[c][row], pos))
                                 for c in columns])
        flat = _columns(self._checker.check(evidence, captions), evidence)
        lists = {name: [[None] * len(images or []) for images in docs]
                 for name in ("crosscheck", "crosscheck_action", "crosscheck_caption", "crosscheck_variant")}
        sums = {name: [[] for _ in docs] for name in ("crosscheck_rate", "crosscheck_rate_after",
                                                      "crosscheck_claims", "crosscheck_unsupported")}
        for k, (row, pos) in enumerate(where):
            for name in lists:
                lists[name][row][pos] = flat[name][k].as_py()
            for name in sums:
                value = flat[name][k].as_py()
                if value is not None:
                    sums[name][row].append(value)
        new = {name: pa.array(v, pa.list_(pa.string())) for name, v in lists.items()}
        for name in ("crosscheck_rate", "crosscheck_rate_after"):
            new[name] = pa.array([sum(v) / len(v) if v else None for v in sums[name]], pa.float64())
        for name in ("crosscheck_claims", "crosscheck_unsupported"):
            new[name] = pa.array([sum(v) for v in sums[name]], pa.int32())
        batch = set_columns(batch, new)
        return self.verdict(batch, [None] * batch.num_rows)


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or (pa.types.is_list(kind) and pa.types.is_string(kind.value_type))


def _at(values: list | None, pos: int) -> str | None:
    return values[pos] if values is not None and pos < len(values) else None


def _column(batch: pa.Table, name: str | None, n: int) -> list:
    if name and name in batch.column_names:
        return batch.column(name).to_pylist()
    return [None] * n


def decode_evidence(data: bytes | None, alt_text: str | None) -> Evidence:
    """Evidence for one record: its image decoded (bounded in size) or the reason it is not."""
    if not data:
        return Evidence(None, alt_text, "no image")
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.draft("RGB", (MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
        image = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
        return Evidence(None, alt_text, f"image decode failed: {type(err).__name__}: {err}")
    if max(image.size) > MAX_IMAGE_SIDE:
        image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    return Evidence(image, alt_text)


def _columns(results: list[RecordCheck], evidence: list[Evidence]) -> dict[str, pa.Array]:
    payload, after, unsupported = [], [], []
    for r, ev in zip(results, evidence, strict=True):
        doc = r.to_json()
        if ev.image_error:
            doc["image_error"] = ev.image_error
        payload.append(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
        chosen = next((v for v in r.variants if v.variant == r.chosen), None)
        after.append(None if chosen is None else
                     chosen.rate if chosen.rate_after is None or chosen.outcome == "keep"
                     else chosen.rate_after)
        unsupported.append(sum(x.verdict == "unsupported" for v in r.variants[:1]
                               for x in v.verdicts))
    return {
        "crosscheck": pa.array(payload, pa.string()),
        "crosscheck_action": pa.array([r.action for r in results], pa.string()),
        "crosscheck_caption": pa.array([r.caption for r in results], pa.string()),
        "crosscheck_variant": pa.array([r.chosen for r in results], pa.string()),
        "crosscheck_rate": pa.array([r.rate for r in results], pa.float64()),
        "crosscheck_rate_after": pa.array(after, pa.float64()),
        "crosscheck_claims": pa.array([r.variants[0].claims if r.variants else 0
                                       for r in results], pa.int32()),
        "crosscheck_unsupported": pa.array(unsupported, pa.int32()),
    }
