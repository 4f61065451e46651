"""CLIP score: cosine similarity between an image and its caption, with an open_clip model.

LAION-5B kept English pairs with ViT-B/32 similarity >= 0.28 (``threshold``); per-language
thresholds read the ``language`` column (from :class:`filters.safety.language.LanguageId`) when it
is there. DataComp instead keeps the top fraction of all scores: that needs every score before it
decides, so it is the global stage :class:`filters.clip.top_fraction.ClipTopFraction`, placed after a
``ClipScore(threshold=None)`` that only scores.

Columns: ``clip_score`` (float32), and unless ``save_embeddings=False`` the unit-norm
``clip_image_emb`` and ``clip_text_emb`` (``list<halffloat>``) for dedup and the cross-check.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from engine.models.registry import ModelSpec
from engine.stage import set_columns
from filters.clip.model import ClipConfig, ClipModelFilter, gpu_available  # noqa: F401  (re-exported)

DEFAULT_MODEL = "clip-vit-b-32-laion2b"
LAION_THRESHOLD = 0.28


class ClipScore(ClipModelFilter):
    """Scores each pair with CLIP and rejects those under the (per-language) threshold.

    ``model`` is a registered model name (see ``loomery models list``) or its spec.
    ``threshold=None`` scores without rejecting. Undecodable images and empty captions are
    rejected with their reason. The model is loaded once per worker in ``setup()``; where and how
    it runs (batch size, pool, GPUs, precision) is ``config`` (:class:`ClipConfig`; 128 pairs a
    call by default).
    """

    name = "clip_score"
    score_columns = {"clip_score": (-0.1, 0.5)}

    def __init__(
        self,
        model: str | ModelSpec = DEFAULT_MODEL,
        *,
        threshold: float | None = LAION_THRESHOLD,
        lang_thresholds: dict[str, float] | None = None,
        lang_column: str = "language",
        caption_column: str = "caption",
        save_embeddings: bool = True,
        config: ClipConfig | None = None,
        name: str | None = None,
    ):
        from engine.models.registry import get
        from filters import models as _models  # noqa: F401  (registers the CLIP specs)

        self._spec = get(model) if isinstance(model, str) else model  # a name or a ModelSpec
        if self._spec.kind != "open_clip":
            raise ValueError(f"ClipScore needs an open_clip model; {self._spec.name!r} is {self._spec.kind}")
        config = config or ClipConfig()
        super().__init__(name=name, resources=config.resources(default_batch=128))
        self.model = self._spec.name
        self.threshold = threshold
        self.lang_thresholds = dict(lang_thresholds or {})
        self.lang_column = lang_column
        self.caption_column = caption_column
        self.save_embeddings = save_embeddings
        self.precision = config.precision
        self._encoder = None

    def config(self) -> dict[str, Any]:
        out = super().config()
        out["lang_thresholds"] = dict(self.lang_thresholds)
        return out

    def __call__(self, batch: pa.Table) -> pa.Table:
        if self._encoder is None:
            self.setup()
        n = batch.num_rows
        step = self.resources.batch_size or n or 1
        scores = np.full(n, np.nan, np.float32)
        valid = np.zeros(n, bool)
        dim = 0
        image_parts, text_parts = [], []
        reasons: list[str | None] = [None] * n
        details: list[str | None] = [None] * n
        for start in range(0, n, step):
            part = batch.slice(start, step)
            out = self._score(part)
            rows = slice(start, start + part.num_rows)
            scores[rows], valid[rows] = out["scores"], out["valid"]
            reasons[rows], details[rows] = out["reasons"], out["details"]
            image_parts.append(out["image_emb"])
            text_parts.append(out["text_emb"])
            dim = max(dim, out["image_emb"].shape[1] if out["image_emb"].size else 0)
        thresholds = self._thresholds(batch)
        for i in range(n):
            t = thresholds[i]
            if reasons[i] is None and t is not None and scores[i] < t:
                reasons[i] = "low_clip_score"
        new = {"clip_score": pa.array(scores, pa.float32(), mask=~valid)}
        if self.save_embeddings:
            from filters.clip.model import float16_lists

            new["clip_image_emb"] = float16_lists(_stack(image_parts, dim), valid)
            new["clip_text_emb"] = float16_lists(_stack(text_parts, dim), valid)
        batch = set_columns(batch, new)
        bounds = [t if r == "low_clip_score" else None for t, r in zip(thresholds, reasons, strict=True)]
        return self.verdict(batch, reasons, scores=scores, thresholds=bounds, details=details)

    def _score(self, part: pa.Table) -> dict[str, Any]:
        images = part.column("image").to_pylist()
        captions = part.column(self.caption_column).to_pylist()
        embedded = self._encoder.embed_images(images)
        reasons, details = list(embedded.reasons), list(embedded.details)
        for i, caption in enumerate(captions):
            if reasons[i] is None and not (caption or "").strip():
                reasons[i] = "no_caption"
        valid = np.array([r is None for r in reasons], dtype=bool)
        image_emb = embedded.vectors[valid[embedded.valid]] if embedded.valid.any() else None
        texts = [captions[i] for i in np.flatnonzero(valid)]
        text_emb = self._encoder.embed_texts(texts)
        scores = np.full(part.num_rows, np.nan, np.float32)
        if texts:
            scores[valid] = np.sum(image_emb * text_emb, axis=1)
        else:
            image_emb = np.zeros((0, 0), np.float32)
        return {
            "scores": scores,
            "valid": valid,
            "reasons": reasons,
            "details": details,
            "image_emb": image_emb,
            "text_emb": text_emb,
        }

    def _thresholds(self, batch: pa.Table) -> list[float | None]:
        n = batch.num_rows
        if not self.lang_thresholds or self.lang_column not in batch.column_names:
            return [self.threshold] * n
        langs = batch.column(self.lang_column).to_pylist()
        return [self.lang_thresholds.get(lang or "", self.threshold) for lang in langs]


def _stack(parts: list[np.ndarray], dim: int) -> np.ndarray:
    parts = [p for p in parts if p.size]
    return np.concatenate(parts) if parts else np.zeros((0, dim), np.float32)
