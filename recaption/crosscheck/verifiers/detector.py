"""Open-vocabulary detection (OWLv2): is a claimed object there, and how many of it?

For each record the detector is queried once with the distinct objects its captions claim. An
object claim scores the best box's probability for its query; a count claim scores 1 when the
boxes above ``box_threshold`` (after non-maximum suppression) match the claimed number, 0.5 when
they are one off, and 0 otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

from recaption.crosscheck.claims import Claim
from recaption.crosscheck.models import CLIP_MEAN, CLIP_STD, Detector, load_detector, resolve
from recaption.crosscheck.prompts import article
from recaption.crosscheck.verifiers.base import Evidence, Verifier

_BOXES = "detector:boxes"


class OwlDetector(Verifier):
    """Scores object and count claims with OWLv2 (``model``: a registered ``owlv2`` spec)."""

    name = "detector"
    kinds = frozenset({"object", "count"})
    default_thresholds = {"object": 0.1, "count": 0.5}
    default_weight = 1.5

    def __init__(self, *, model=None, model_set: str = "default", box_threshold: float = 0.1,
                 nms_iou: float = 0.5, device: str | None = None,
                 loaded: Detector | None = None, **kwargs):
        super().__init__(**kwargs)
        self.spec = resolve(model, model_set, "detector")
        self.box_threshold = box_threshold
        self.nms_iou = nms_iou
        self.device = device
        self._det = loaded

    def setup(self) -> None:
        if self._det is None:
            self._det = load_detector(self.spec, self.device)

    def models(self) -> list[dict]:
        return [self.spec.record()]

    def score(self, evidence: Sequence[Evidence],
              claims: Sequence[Sequence[Claim]]) -> list[list[float | None]]:
        self.setup()
        out = []
        for ev, cs in zip(evidence, claims, strict=True):
            if not cs or ev.image is None:
                out.append([None] * len(cs))
                continue
            found = self._detect(ev, sorted({c.object for c in cs}))
            row = []
            for c in cs:
                probs = found[c.object]
                if c.kind == "object":
                    row.append(max(probs, default=0.0))
                else:
                    diff = abs(len([p for p in probs if p >= self.box_threshold]) - int(c.value))
                    row.append(1.0 if diff == 0 else 0.5 if diff == 1 else 0.0)
            out.append(row)
        return out

    def _detect(self, ev: Evidence, names: list[str]) -> dict[str, list[float]]:
        """Per object name, the probabilities of its boxes that survive NMS (cached per name)."""
        import torch
        from torchvision.ops import nms

        cache = ev.cache.setdefault(_BOXES, {})
        todo = [n for n in names if n not in cache]
        if todo:
            det = self._det
            queries = [f"a photo of {article(n)} {n}" for n in todo]
            ids = det.tokenizer(queries).to(det.device)
            with torch.inference_mode():
                out = det.model(input_ids=ids, attention_mask=(ids > 0).long(),
                                pixel_values=self._pixels(ev.image).to(det.device))
            probs = torch.sigmoid(out.logits[0].float()).cpu()  # (boxes, queries)
            boxes = _xyxy(out.pred_boxes[0].float().cpu())
            for q, name in enumerate(todo):
                p = probs[:, q]
                keep = nms(boxes, p, self.nms_iou)
                cache[name] = [float(v) for v in p[keep]]
        return {n: cache[n] for n in names}

    def _pixels(self, image):
        """OWLv2 preprocessing: pad to a square (grey), resize, normalise with CLIP's stats."""
        import numpy as np
        import torch
        from PIL import Image

        image = image.convert("RGB")
        side = max(image.size)
        square = Image.new("RGB", (side, side), (128, 128, 128))
        square.paste(image, (0, 0))
        size = self._det.image_size
        arr = np.asarray(square.resize((size, size), Image.BILINEAR), dtype=np.float32) / 255.0
        arr = (arr - np.array(CLIP_MEAN, np.float32)) / np.array(CLIP_STD, np.float32)
        return torch.from_numpy(arr.transpose(2, 0, 1)).unsqueeze(0)


def _xyxy(boxes):
    import torch

    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)
