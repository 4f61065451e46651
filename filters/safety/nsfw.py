"""NSFW images with NudeNet's bundled 320n detector (YOLO, ONNX), run with onnxruntime.

The score is the highest confidence over the detector's ``*_EXPOSED`` classes (0 when none):
the same number NudeNet's own ``detect()`` reports for its best exposed box, computed for a
whole batch in one ``session.run``. Images are letterboxed to a square (padding right and
bottom, as NudeNet does) and resized to 320x320.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from engine.stage import Filter, Resources, set_columns
from filters.images.pixels import BadImage, bound_for, open_rgb

SIZE = 320
# NudeNet's label order (class index -> label), from nudenet 3.4.
LABELS = (
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)
# Exposed classes that make an image NSFW (feet, armpits, belly and male chest do not).
NSFW_CLASSES = (
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "ANUS_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
)


def letterbox(image) -> np.ndarray:
    """A 3x320x320 float32 blob in [0, 1] of a Pillow RGB image, padded to a square first."""
    from PIL import Image

    w, h = image.size
    side = max(w, h)
    scale = SIZE / side
    resized = image.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BILINEAR)
    canvas = np.zeros((SIZE, SIZE, 3), np.float32)
    arr = np.asarray(resized, np.float32)
    canvas[: arr.shape[0], : arr.shape[1]] = arr
    return (canvas / 255.0).transpose(2, 0, 1)


def exposed_scores(output: np.ndarray, classes: tuple[str, ...] = NSFW_CLASSES) -> np.ndarray:
    """Per image, the best confidence among anchors whose top class is one of ``classes``."""
    probs = output[:, 4:, :]  # (batch, classes, anchors)
    top = probs.argmax(axis=1)
    best = probs.max(axis=1)
    wanted = np.isin(top, [LABELS.index(c) for c in classes])
    return np.where(wanted, best, 0.0).max(axis=1)


class Nsfw(Filter):
    """Scores ``nsfw_score`` and rejects images at or above ``threshold`` (reason ``nsfw``)."""

    name = "nsfw"
    score_columns = {"nsfw_score": (0.0, 1.0)}

    def __init__(
        self,
        *,
        threshold: float | None = 0.5,
        classes: tuple[str, ...] = NSFW_CLASSES,
        batch_size: int = 32,
        num_cpus: float = 1.0,
        concurrency: int | None = None,
        name: str | None = None,
    ):
        super().__init__(
            name=name,
            resources=Resources(num_cpus=num_cpus, batch_size=batch_size, concurrency=concurrency),
        )
        unknown = set(classes) - set(LABELS)
        if unknown:
            raise ValueError(f"unknown NudeNet classes: {sorted(unknown)}")
        self.threshold = threshold
        self.classes = tuple(classes)
        self._session = None

    def models(self) -> list[dict[str, Any]]:
        from filters.safety.models import NUDENET

        return [NUDENET.record(self.name)]

    def __getstate__(self) -> dict:
        # a loaded model stays in its worker: copies sent to other workers load their own
        return {**self.__dict__, "_session": None}

    def setup(self) -> None:
        import onnxruntime as ort

        from engine.models.loaders import bundled_path
        from filters.safety.models import NUDENET

        options = ort.SessionOptions()
        options.intra_op_num_threads = int(max(1, self.resources.num_cpus))
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(bundled_path(NUDENET)), options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, batch: pa.Table) -> pa.Table:
        if self._session is None:
            self.setup()
        images = batch.column("image").to_pylist()
        blobs, rows = [], []
        reasons: list[str | None] = [None] * len(images)
        details: list[str | None] = [None] * len(images)
        for i, data in enumerate(images):
            try:
                blobs.append(letterbox(open_rgb(data, draft=(SIZE, SIZE))))
                rows.append(i)
            except BadImage as bad:
                reasons[i], details[i] = bad.reason, bad.detail or None
        scores = np.full(len(images), np.nan, np.float32)
        step = self.resources.batch_size or len(blobs) or 1
        for start in range(0, len(blobs), step):
            chunk = np.stack(blobs[start : start + step])
            (output,) = self._session.run(None, {"images": chunk})
            scores[rows[start : start + step]] = exposed_scores(output, self.classes)
        if self.threshold is not None:
            for i, score in enumerate(scores):
                if reasons[i] is None and score >= self.threshold:
                    reasons[i] = "nsfw"
        valid = ~np.isnan(scores)
        batch = set_columns(batch, {"nsfw_score": pa.array(scores, pa.float32(), mask=~valid)})
        return self.verdict(
            batch, reasons, scores=scores, thresholds=bound_for(reasons, {"nsfw"}, self.threshold), details=details
        )
