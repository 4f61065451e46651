"""Decontamination: reject records that match a user-supplied evaluation set.

A record is rejected with reason ``eval_caption_overlap`` when its caption shares a word n-gram
(default 8 words, after normalisation) with any evaluation caption, or, for captions shorter
than n words, equals one; and with reason ``eval_image_match`` when its image's perceptual hash
is within ``max_bits`` of an evaluation image's. The evaluation set is a Parquet or JSONL file
(or lists given directly) and is loaded once per worker in ``setup()``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from engine.stage import Filter, Resources, set_columns
from filters.dedup.minhash import normalize_text
from filters.dedup.phash import phash_bytes, phash_many
from filters.dedup.signals import hamming

CAPTION_REASON = "eval_caption_overlap"
IMAGE_REASON = "eval_image_match"


def caption_ngrams(text: str | None, n: int) -> set[str]:
    """Word n-grams of the normalised text; the whole text when shorter than n words."""
    words = normalize_text(text or "").split()
    if not words:
        return set()
    if len(words) < n:
        return {" ".join(words)}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def load_eval_set(path: str, text_field: str, image_field: str) -> tuple[list, list]:
    """(captions, image bytes) of an evaluation set in Parquet or JSONL (images: Parquet only)."""
    if path.endswith(".parquet"):
        table = pq.read_table(path)
        texts = table[text_field].to_pylist() if text_field in table.column_names else []
        images = table[image_field].to_pylist() if image_field in table.column_names else []
        return texts, images
    texts = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            texts.append(json.loads(line).get(text_field))
    return texts, []


class Decontaminate(Filter):
    """Rejects records whose caption or image matches the evaluation set."""

    name = "decontaminate"
    score_columns = {"eval_image_distance": (0.0, 64.0)}

    def __init__(
        self,
        *,
        eval_path: str | None = None,
        eval_captions: list[str] | None = None,
        eval_images: list[bytes] | None = None,
        text_column: str = "caption",
        image_column: str = "image",
        eval_text_field: str = "caption",
        eval_image_field: str = "image",
        ngram: int = 8,
        max_bits: int = 6,
        name: str | None = None,
        resources: Resources | None = None,
    ):
        super().__init__(name=name, resources=resources)
        self.eval_path, self.text_column, self.image_column = eval_path, text_column, image_column
        self.eval_text_field, self.eval_image_field = eval_text_field, eval_image_field
        self.ngram, self.max_bits = ngram, max_bits
        self._given = (list(eval_captions or []), list(eval_images or []))
        self._grams: set[str] | None = None
        self._hashes = np.zeros(0, np.uint64)

    def setup(self) -> None:
        texts, images = self._given
        if self.eval_path:
            more_texts, more_images = load_eval_set(self.eval_path, self.eval_text_field, self.eval_image_field)
            texts, images = texts + more_texts, images + more_images
        self._grams = set().union(*(caption_ngrams(t, self.ngram) for t in texts)) if texts else set()
        hashes, valid = phash_many(images)
        self._hashes = hashes[valid]

    def __call__(self, batch: pa.Table) -> pa.Table:
        if self._grams is None:
            self.setup()
        n = batch.num_rows
        reasons: list[str | None] = [None] * n
        distance = np.full(n, np.nan)
        if self.image_column in batch.column_names and len(self._hashes):
            for i, data in enumerate(batch[self.image_column].to_pylist()):
                h = phash_bytes(data)
                if h is None:
                    continue
                d = hamming(np.full(len(self._hashes), h, np.uint64), self._hashes).min()
                distance[i] = d
                if d <= self.max_bits:
                    reasons[i] = IMAGE_REASON
        if self.text_column in batch.column_names and self._grams:
            for i, text in enumerate(batch[self.text_column].to_pylist()):
                if reasons[i] is None and caption_ngrams(text, self.ngram) & self._grams:
                    reasons[i] = CAPTION_REASON
        distances = pa.array(distance, pa.float64(), mask=np.isnan(distance))
        batch = set_columns(batch, {"eval_image_distance": distances})
        thresholds = [float(self.max_bits) if r == IMAGE_REASON else None for r in reasons]
        return self.verdict(batch, reasons, scores=distance, thresholds=thresholds)
