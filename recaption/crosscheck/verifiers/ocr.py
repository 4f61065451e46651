"""OCR verifier: text the caption says is written in the image, fuzzy-matched against rapidocr.

The image is read only when one of its captions makes a text claim, once per record: OCR is the
most expensive thing the cross-check does on CPU.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recaption.crosscheck.claims import Claim
from recaption.crosscheck.verifiers.base import Evidence, Verifier
from recaption.crosscheck.verifiers.fuzzy import text_support

_READING = "ocr:reading"


class OcrVerifier(Verifier):
    """Scores ``text`` claims by the best fuzzy match of the claimed text in the OCR reading.

    ``min_confidence`` drops OCR lines the recogniser itself doubts; ``threads`` bounds the
    ONNX runtime's threads per worker; ``max_side`` caps the side the text detector works at
    (rapidocr's default upscales every image to a 736-pixel short side, which costs ~2x on
    photos); ``use_cls`` turns on the text-angle classifier (off: caption text is mostly upright).
    """

    name = "ocr"
    kinds = frozenset({"text"})
    default_thresholds = {"text": 0.8}
    default_weight = 3.0

    def __init__(self, *, min_confidence: float = 0.5, threads: int = 1, max_side: int = 960,
                 use_cls: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.min_confidence = min_confidence
        self.threads = threads
        self.max_side = max_side
        self.use_cls = use_cls
        self._engine = None

    def setup(self) -> None:
        if self._engine is None:
            from rapidocr import RapidOCR

            self._engine = RapidOCR(params={
                "Global.log_level": "error",
                "Global.text_score": self.min_confidence,
                "Global.use_cls": self.use_cls,
                "Det.limit_type": "max",
                "Det.limit_side_len": self.max_side,
                "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            })

    def models(self) -> list[dict]:
        from importlib.metadata import version

        return [{"name": "rapidocr", "kind": "onnx", "source": "package:rapidocr",
                 "revision": version("rapidocr"), "random_init": False}]

    def read(self, evidence: Evidence) -> list[str]:
        """The lines of text OCR finds in the record's image (cached on the evidence)."""
        if _READING not in evidence.cache:
            self.setup()
            result = self._engine(np.asarray(evidence.image.convert("RGB")))
            lines = [t for t, s in zip(result.txts or (), result.scores or (), strict=False)
                     if s >= self.min_confidence]
            evidence.cache[_READING] = lines
        return evidence.cache[_READING]

    def score(self, evidence: Sequence[Evidence],
              claims: Sequence[Sequence[Claim]]) -> list[list[float | None]]:
        out = []
        for ev, cs in zip(evidence, claims, strict=True):
            if not cs or ev.image is None:
                out.append([None] * len(cs))
                continue
            lines = self.read(ev)
            out.append([text_support(str(c.value), lines) for c in cs])
        return out
