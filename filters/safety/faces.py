"""Faces with OpenCV's bundled Haar cascade: count and boxes recorded; blur them or reject.

Detection runs on a grey copy scaled so that its longer side is at most ``detect_side`` pixels;
boxes are mapped back to the original image. In ``blur`` mode (what DataComp did for its
release) each face region is Gaussian-blurred in the full-resolution image, which is re-encoded
in its own format and replaces the ``image`` bytes; ``reject`` mode rejects records with more
than ``max_faces`` faces; ``count`` mode only records.
"""

from __future__ import annotations

import functools
import io
from typing import Any

import numpy as np
import pyarrow as pa

from engine.consent.scrub import clean_info, strip_metadata
from engine.stage import Filter, Resources, set_columns
from filters.images.pixels import BadImage, bound_for, open_rgb

MODES = ("blur", "reject", "count")
BOX = pa.list_(pa.int32(), 4)  # x, y, width, height in original pixels


@functools.cache
def _cascade():
    """OpenCV's Haar cascade, loaded once per worker process (it is small: the stage runs as tasks)."""
    import cv2

    from engine.models.loaders import bundled_path
    from filters.safety.models import HAAR_FACES

    cascade = cv2.CascadeClassifier(str(bundled_path(HAAR_FACES)))
    if cascade.empty():
        raise RuntimeError("OpenCV could not load its bundled Haar face cascade")
    return cascade


class Faces(Filter):
    """Adds ``face_count`` and ``face_boxes``; blurs faces (``face_blurred``) or rejects."""

    name = "faces"
    score_columns = {"face_count": (0.0, 10.0)}

    def __init__(
        self,
        *,
        mode: str = "blur",
        max_faces: int = 0,
        detect_side: int = 640,
        scale_factor: float = 1.1,
        min_neighbors: int = 5,
        min_size: int = 24,
        batch_size: int = 64,
        name: str | None = None,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        super().__init__(name=name, resources=Resources(batch_size=batch_size))
        self.mode = mode
        self.max_faces = max_faces
        self.detect_side = detect_side
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_size = min_size

    def models(self) -> list[dict[str, Any]]:
        from filters.safety.models import HAAR_FACES

        return [HAAR_FACES.record(self.name)]

    def detect(self, image) -> list[tuple[int, int, int, int]]:
        """Face boxes (x, y, w, h) of a Pillow RGB image, in its own pixel coordinates."""
        w, h = image.size
        scale = min(1.0, self.detect_side / max(w, h))
        grey = image.convert("L")
        if scale < 1.0:
            grey = grey.resize((max(1, round(w * scale)), max(1, round(h * scale))))
        import cv2

        found = _cascade().detectMultiScale(
            cv2.equalizeHist(np.asarray(grey)),
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(self.min_size, self.min_size),
        )
        boxes = [tuple(int(round(v / scale)) for v in box) for box in np.asarray(found).reshape(-1, 4)]
        return sorted(boxes)

    def __call__(self, batch: pa.Table) -> pa.Table:
        images = batch.column("image").to_pylist()
        n = len(images)
        counts: list[int | None] = [None] * n
        boxes: list[list | None] = [None] * n
        blurred = [False] * n
        reasons: list[str | None] = [None] * n
        details: list[str | None] = [None] * n
        for i, data in enumerate(images):
            try:
                image = open_rgb(data)
            except BadImage as bad:
                reasons[i], details[i] = bad.reason, bad.detail or None
                continue
            found = self.detect(image)
            counts[i], boxes[i] = len(found), [list(b) for b in found]
            if self.mode == "blur" and found:
                images[i] = blur_regions(data, image, found)
                blurred[i] = True
            elif self.mode == "reject" and len(found) > self.max_faces:
                reasons[i] = "faces"
        new = {
            "face_count": pa.array(counts, pa.int32()),
            "face_boxes": pa.array(boxes, pa.list_(BOX)),
        }
        if self.mode == "blur":
            new["face_blurred"] = pa.array(blurred, pa.bool_())
            new["image"] = pa.array(images, batch.schema.field("image").type)
        batch = set_columns(batch, new)
        scores = [float(c) if c is not None else None for c in counts]
        return self.verdict(
            batch,
            reasons,
            scores=scores,
            thresholds=bound_for(reasons, {"faces"}, float(self.max_faces)),
            details=details,
        )


def blur_regions(data: bytes, image, boxes) -> bytes:
    """``image`` with each box Gaussian-blurred (radius from the box size), re-encoded like
    ``data`` (JPEG at quality 95, else PNG for lossless sources)."""
    from PIL import Image, ImageFilter

    out = image.copy()
    for x, y, w, h in boxes:
        region = out.crop((x, y, x + w, y + h))
        out.paste(region.filter(ImageFilter.GaussianBlur(radius=max(2, max(w, h) // 6))), (x, y))
    with Image.open(io.BytesIO(data)) as original:
        fmt = original.format
    buf = io.BytesIO()
    clean_info(out)  # no personal metadata in shards (engine/consent/scrub.py)
    if fmt == "JPEG":
        out.save(buf, "JPEG", quality=95)
    elif fmt == "WEBP":
        out.save(buf, "WEBP", quality=95)
    else:
        out.save(buf, "PNG")
    return strip_metadata(buf.getvalue())
