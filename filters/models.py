"""The models of the CLIP and OCR filters, registered with the model registry on import.

- ``clip-vit-b-32-laion2b`` (``default`` set, role ``clip``): OpenCLIP ViT-B/32
  ``laion2b_s34b_b79k``, the LAION-5B filtering model (weights pulled with ``loomery models pull``).
- ``clip-tiny-random`` (``test-tiny`` set, role ``clip``): a tiny randomly initialised CLIP for
  tests and the demo; it is labelled ``random_init`` in every manifest.
- ``rapidocr-ppocrv6-det`` (both sets, role ``ocr``): the text detector bundled inside rapidocr.

The safety filters' detectors are registered by :mod:`filters.safety.models`.
"""

from __future__ import annotations

from engine.models.registry import ModelSpec, bundled, register, register_role

CLIP_B32 = register(
    ModelSpec(
        name="clip-vit-b-32-laion2b",
        kind="open_clip",
        source="open_clip:ViT-B-32/laion2b_s34b_b79k",
        config={"hf_hub": "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"},  # where open_clip's tag lives
        description="OpenCLIP ViT-B/32 trained on LAION-2B (the LAION-5B filtering model)",
    )
)

# A CLIP small enough to build in milliseconds; its weights are random (seeded, so every worker
# builds the same model and scores stay deterministic).
TINY_CLIP_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
    "seed": 0,
}
CLIP_TINY = register(
    ModelSpec(
        name="clip-tiny-random",
        kind="open_clip",
        source="config:clip-tiny-random",
        random_init=True,
        config=TINY_CLIP_CONFIG,
        description="tiny random-weight CLIP for tests (scores are meaningless)",
    )
)

RAPIDOCR_DET = bundled(
    "rapidocr-ppocrv6-det", "pkg:rapidocr/models/PP-OCRv6_det_small.onnx", "rapidocr",
    "PP-OCRv6 small text detector shipped inside rapidocr",
)

for _set in ("default", "test-tiny"):
    register_role(_set, "ocr", RAPIDOCR_DET.name)
register_role("default", "clip", CLIP_B32.name)
register_role("test-tiny", "clip", CLIP_TINY.name)
