"""Text in images: the share of an image covered by text, from rapidocr's bundled detector.

Only rapidocr's text *detector* runs (PP-OCRv6 small, ONNX, shipped inside the package; no
recognition, nothing fetched). The score ``text_area_ratio`` is the fraction of the image's
pixels inside the union of the detected text boxes; with ``max_ratio`` set, images more text
than picture (slides, screenshots, memes) are rejected with reason ``too_much_text``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pyarrow as pa

from engine.stage import Filter, Resources, set_columns
from filters.images.pixels import BadImage, bound_for, open_rgb


class TextInImage(Filter):
    """Adds ``text_area_ratio`` (0..1) and ``text_boxes``; rejects above ``max_ratio``."""

    name = "text_in_image"
    score_columns = {"text_area_ratio": (0.0, 1.0)}

    def __init__(
        self,
        *,
        max_ratio: float | None = None,
        max_side: int = 960,
        batch_size: int = 16,
        num_cpus: float = 1.0,
        concurrency: int | None = None,
        name: str | None = None,
    ):
        super().__init__(name=name, resources=Resources(num_cpus=num_cpus, batch_size=batch_size,
                                                        concurrency=concurrency))
        self.max_ratio = max_ratio
        self.max_side = max_side
        self._engine = None

    def models(self) -> list[dict[str, Any]]:
        from filters.models import RAPIDOCR_DET

        return [RAPIDOCR_DET.record(self.name)]

    def __getstate__(self) -> dict:
        # a loaded model stays in its worker: copies sent to other workers load their own
        return {**self.__dict__, "_engine": None}

    def setup(self) -> None:
        from rapidocr import RapidOCR

        from engine.models.loaders import bundled_path
        from filters.models import RAPIDOCR_DET

        bundled_path(RAPIDOCR_DET)  # fails fast, naming the model, if it is absent
        self._engine = RapidOCR(
            params={
                "Global.use_cls": False,
                "Global.use_rec": False,
                "Global.log_level": "error",
                "Global.max_side_len": self.max_side,
                "EngineConfig.onnxruntime.intra_op_num_threads": int(max(1, self.resources.num_cpus)),
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)

    def text_boxes(self, image) -> np.ndarray:
        """Detected text quadrilaterals of a Pillow RGB image: (n, 4, 2) in its pixels."""
        if self._engine is None:
            self.setup()
        result = self._engine(np.asarray(image)[:, :, ::-1].copy(), use_cls=False, use_rec=False)
        boxes = getattr(result, "boxes", None)
        return np.zeros((0, 4, 2), np.float32) if boxes is None else np.asarray(boxes, np.float32)

    def __call__(self, batch: pa.Table) -> pa.Table:
        import cv2

        images = batch.column("image").to_pylist()
        n = len(images)
        ratios = np.full(n, np.nan, np.float32)
        counts: list[int | None] = [None] * n
        reasons: list[str | None] = [None] * n
        details: list[str | None] = [None] * n
        for i, data in enumerate(images):
            try:
                image = open_rgb(data, draft=(self.max_side, self.max_side))
            except BadImage as bad:
                reasons[i], details[i] = bad.reason, bad.detail or None
                continue
            boxes = self.text_boxes(image)
            mask = np.zeros((image.height, image.width), np.uint8)
            if len(boxes):
                cv2.fillPoly(mask, [np.round(b).astype(np.int32) for b in boxes], 1)
            ratios[i], counts[i] = float(mask.mean()), len(boxes)
            if self.max_ratio is not None and ratios[i] > self.max_ratio:
                reasons[i] = "too_much_text"
        batch = set_columns(
            batch,
            {
                "text_area_ratio": pa.array(ratios, pa.float32(), mask=np.isnan(ratios)),
                "text_boxes_count": pa.array(counts, pa.int32()),
            },
        )
        return self.verdict(
            batch,
            reasons,
            scores=ratios,
            thresholds=bound_for(reasons, {"too_much_text"}, self.max_ratio),
            details=details,
        )
