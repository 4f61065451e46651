"""Toxic or profane text with alt-profanity-check's bundled linear model.

Reads a caption column (``string``) or a document's ``texts`` (``list<string>``; the score is
the worst item's). Adds ``toxicity`` (probability in [0, 1]) and rejects at or above
``threshold`` with reason ``toxic_text``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from engine.stage import Filter, Resources, set_columns


class Toxicity(Filter):
    """Scores ``column`` with alt-profanity-check; ``threshold=None`` only scores."""

    name = "toxicity"
    score_columns = {"toxicity": (0.0, 1.0)}

    def __init__(
        self,
        *,
        column: str = "caption",
        threshold: float | None = 0.8,
        batch_size: int = 1024,
        name: str | None = None,
    ):
        super().__init__(name=name, resources=Resources(batch_size=batch_size))
        self.column = column
        self.threshold = threshold

    def models(self) -> list[dict[str, Any]]:
        from filters.safety.models import PROFANITY

        return [PROFANITY.record(self.name)]

    def __call__(self, batch: pa.Table) -> pa.Table:
        values = batch.column(self.column).to_pylist()
        owners, texts = [], []
        for i, value in enumerate(values):
            items = value if isinstance(value, list) else [value]
            for text in items:
                if text and text.strip():
                    owners.append(i)
                    texts.append(text)
        scores = np.zeros(len(values), np.float64)
        if texts:
            from profanity_check import predict_prob  # loads its model once per process

            # A caption scores as itself; a document as the length-weighted share of its text that
            # reads as toxic, so that one bad line does not condemn a whole page.
            weights = np.array([len(t) for t in texts], np.float64)
            owner = np.array(owners)
            np.add.at(scores, owner, predict_prob(texts) * weights)
            totals = np.zeros(len(values), np.float64)
            np.add.at(totals, owner, weights)
            scores = np.divide(scores, totals, out=np.zeros_like(scores), where=totals > 0)
        reasons = ["toxic_text" if self.threshold is not None and s >= self.threshold else None for s in scores]
        batch = set_columns(batch, {"toxicity": pa.array(scores, pa.float32())})
        return self.verdict(batch, reasons, scores=scores, thresholds=self.threshold)
