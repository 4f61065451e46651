"""Image filters over the images of interleaved documents: NSFW, faces, text-in-image.

:class:`PerImage` runs a filter written for image-text pairs (one that reads ``image`` bytes and
ends with a verdict) on every image of each document in a batch, in one call, so an actor's model
sees a batch of images as it does in the pairs job. What the filter adds per image comes back as
lists parallel to the document's positions, named ``image_<column>`` (null at text positions),
and the highest of its first score over the document's images as ``doc_<score>_max``.

An image the filter rejects is removed from its position, with the filter's reason and score in
``metadata.removed_images``; a reason listed in ``document_reasons`` rejects the whole document
instead (a page that carries an explicit image is rarely safe text). A filter that rewrites the
image (faces blurred) rewrites it in the document.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from engine import columns as C
from engine.stage import Filter, set_columns
from filters.documents.positions import remove_planned


class PerImage(Filter):
    """Applies the image filter ``inner`` to each image of each document; named like ``inner``."""

    def __init__(self, inner: Filter, *, document_reasons: tuple[str, ...] = (), name: str | None = None):
        super().__init__(name=name or inner.name, resources=inner.resources)
        self.inner = inner
        self.document_reasons = tuple(document_reasons)
        self.score_column = next(iter(inner.score_columns), None)
        self.score_columns = {f"doc_{col}_max": span for col, span in inner.score_columns.items()}

    @property
    def needs_setup(self) -> bool:
        return self.inner.needs_setup

    def setup(self) -> None:
        self.inner.setup()

    def models(self) -> list[dict[str, Any]]:
        return [{**record, "stage": self.name} for record in self.inner.models()]

    def config(self) -> dict[str, Any]:
        return {**super().config(), "inner": self.inner.config()}

    def __call__(self, batch: pa.Table) -> pa.Table:
        docs = batch.column("images").to_pylist() if "images" in batch.column_names else [None] * batch.num_rows
        where = [(row, pos) for row, images in enumerate(docs) for pos, data in enumerate(images or []) if data]
        flat_type = batch.schema.field("images").type.value_type if where else pa.binary()
        flat = [docs[r][p] for r, p in where]
        judged = self.inner(pa.table({"image": pa.array(flat, flat_type)}))
        reasons = judged.column(C.REJECT_REASON).to_pylist()
        details = judged.column(C.REJECT_DETAIL).to_pylist()
        scores = judged.column(self.score_column).to_pylist() if self.score_column else [None] * len(where)

        added = [c for c in judged.column_names if not C.is_internal(c) and c != "image"]
        lengths = [None if t is None else len(t) for t in batch.column("texts").to_pylist()]
        per_image = {c: _positions(lengths, where, judged.column(c).to_pylist()) for c in added}
        new = {f"image_{c}": pa.array(v, pa.list_(judged.schema.field(c).type)) for c, v in per_image.items()}
        rewritten = [(i, data) for i, data in enumerate(judged.column("image").to_pylist()) if data != flat[i]]
        for i, data in rewritten:
            row, pos = where[i]
            docs[row][pos] = data
        if rewritten:
            new["images"] = pa.array(docs, batch.schema.field("images").type)
        batch = set_columns(batch, new)

        doc_reason: list[str | None] = [None] * batch.num_rows
        doc_max = np.full(batch.num_rows, np.nan, np.float32)
        removals: list[dict[int, tuple[str, str | None]]] = [{} for _ in range(batch.num_rows)]
        for (row, pos), reason, detail, score in zip(where, reasons, details, scores, strict=True):
            if score is not None and not np.isnan(score):
                doc_max[row] = np.fmax(doc_max[row], score)
            if reason in self.document_reasons:
                doc_reason[row] = doc_reason[row] or reason
            elif reason is not None:
                removals[row][pos] = (reason, detail or _score_detail(self.score_column, score))
        batch = remove_planned(batch, [{} if doc_reason[i] else plan for i, plan in enumerate(removals)], self.name)
        if self.score_column:
            batch = set_columns(batch, {f"doc_{self.score_column}_max": pa.array(doc_max, pa.float32(),
                                                                                   mask=np.isnan(doc_max))})
        threshold = getattr(self.inner, "threshold", None)
        return self.verdict(batch, doc_reason, scores=doc_max,
                            thresholds=[threshold if r else None for r in doc_reason])


def _positions(lengths: list[int | None], where: list[tuple[int, int]], values: list) -> list[list | None]:
    """Per document, a list as long as its positions with ``values`` placed at the images' positions."""
    out: list[list | None] = [None if n is None else [None] * n for n in lengths]
    for (row, pos), value in zip(where, values, strict=True):
        out[row][pos] = value
    return out


def _score_detail(column: str | None, score: float | None) -> str | None:
    return None if column is None or score is None else f"{column}={score:.3f}"


def per_image(inner: type[Filter], *, document_reasons: tuple[str, ...] = (), **settings: Any) -> PerImage:
    """``inner(**settings)`` run on every image of each document, named ``doc_<inner's name>``."""
    stage = inner(**settings)
    return PerImage(stage, document_reasons=document_reasons, name=f"doc_{stage.name}")
