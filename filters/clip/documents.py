"""CLIP similarity of each image in a document to its nearest text items (MMC4 style).

MMC4 placed each image next to the sentence it matched best by CLIP similarity. Here every image
position of a document gets the similarity to its best-matching text item (``image_clip_scores``,
parallel to ``images``; null at text positions and for undecodable images) and that item's
position (``image_best_text``). ``doc_clip_max`` is the best image-text score in the document,
and with ``min_score`` set a document whose images all score below it is rejected
(``low_clip_score``); a document with no image is kept unscored.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from engine.models.registry import ModelSpec
from engine.stage import Verdicts, set_columns
from filters.clip.model import ClipConfig, ClipModelFilter
from filters.clip.score import DEFAULT_MODEL


class DocClipScore(ClipModelFilter):
    """Scores each document image against the document's texts with one open_clip model."""

    name = "doc_clip_score"
    score_columns = {"doc_clip_max": (-0.1, 0.5)}

    def __init__(
        self,
        model: str | ModelSpec = DEFAULT_MODEL,
        *,
        min_score: float | None = None,
        config: ClipConfig | None = None,
        name: str | None = None,
    ):
        from engine.models.registry import get
        from filters import models as _models  # noqa: F401  (registers the CLIP specs)

        self._spec = get(model) if isinstance(model, str) else model  # a name or a ModelSpec
        config = config or ClipConfig()
        super().__init__(name=name, resources=config.resources(default_batch=16))
        self.model = self._spec.name
        self.min_score = min_score
        self.precision = config.precision
        self._encoder = None

    def __call__(self, batch: pa.Table) -> pa.Table:
        if self._encoder is None:
            self.setup()
        texts_col = batch.column("texts").to_pylist()
        images_col = batch.column("images").to_pylist()
        per_image, best_text, verdicts = [], [], Verdicts()
        for texts, images in zip(texts_col, images_col, strict=True):
            scores, best, top = self._score_document(texts or [], images or [])
            per_image.append(scores)
            best_text.append(best)
            if self.min_score is not None and top is not None and top < self.min_score:
                verdicts.reject("low_clip_score", top, self.min_score)
            else:
                verdicts.keep(top)
        batch = set_columns(
            batch,
            {
                "image_clip_scores": pa.array(per_image, pa.list_(pa.float32())),
                "image_best_text": pa.array(best_text, pa.list_(pa.int32())),
                "doc_clip_max": pa.array(verdicts.scores, pa.float32()),
            },
        )
        return self.verdict(batch, **verdicts.columns())

    def _score_document(self, texts: list, images: list):
        n = max(len(texts), len(images))
        scores: list[float | None] = [None] * n
        best: list[int | None] = [None] * n
        image_pos = [i for i, data in enumerate(images) if data]
        text_pos = [i for i, t in enumerate(texts) if t and t.strip()]
        if not image_pos or not text_pos:
            return scores, best, None
        embedded = self._encoder.embed_images([images[i] for i in image_pos])
        if not embedded.valid.any():
            return scores, best, None
        text_emb = self._encoder.embed_texts([texts[i] for i in text_pos])
        sims = embedded.vectors @ text_emb.T  # (valid images, texts)
        valid_pos = [p for p, ok in zip(image_pos, embedded.valid, strict=True) if ok]
        for row, pos in enumerate(valid_pos):
            j = int(np.argmax(sims[row]))
            scores[pos], best[pos] = float(sims[row, j]), text_pos[j]
        return scores, best, float(sims.max())
