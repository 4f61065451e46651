"""The bundled image models run for real: faces (OpenCV Haar), NSFW (NudeNet ONNX), OCR (rapidocr)."""

import io

import numpy as np
import pyarrow as pa
import pytest
from PIL import Image, ImageDraw, ImageFont

from engine import columns as C
from filters.safety.faces import Faces
from filters.safety.nsfw import LABELS, Nsfw, exposed_scores
from filters.safety.text_in_image import TextInImage
from tests.conftest import corpus


def _bytes(name: str) -> bytes:
    return (corpus("pillow-images") / name).read_bytes()


def _table(images):
    return pa.table({"key": [f"{i:024x}" for i in range(len(images))], "image": pa.array(images, pa.binary())})


@pytest.fixture(scope="module")
def faces():
    stage = Faces(mode="count")
    assert not stage.needs_setup  # a small model: runs as Ray tasks, cached per process
    return stage


def test_faces_finds_grace_hopper_and_records_the_box(faces):
    out = faces(_table([_bytes("hopper.jpg"), _bytes("flower.jpg"), b"\xff\xd8broken"]))
    assert out.column("face_count").to_pylist() == [1, 0, None]
    (x, y, w, h) = out.column("face_boxes")[0].as_py()[0]
    # hopper.jpg is 128x128 with her face in the upper middle
    assert 20 <= x <= 60 and 10 <= y <= 50 and 30 <= w <= 90 and 30 <= h <= 90
    assert out.column(C.REJECT_REASON).to_pylist() == [None, None, "undecodable_image"]


def test_faces_blur_rewrites_only_the_face_region():
    original = _bytes("hopper.jpg")
    out = Faces(mode="blur")(_table([original, _bytes("flower.jpg")]))
    assert out.column("face_blurred").to_pylist() == [True, False]
    assert out.column("image")[1].as_py() == _bytes("flower.jpg")  # no face: bytes untouched
    before = np.asarray(Image.open(io.BytesIO(original)).convert("L"), np.float32)
    after = np.asarray(Image.open(io.BytesIO(out.column("image")[0].as_py())).convert("L"), np.float32)
    x, y, w, h = out.column("face_boxes")[0].as_py()[0]
    inside = np.abs(before - after)[y : y + h, x : x + w].mean()
    outside = np.abs(before - after)[y + h :, :].mean()
    assert inside > 4 * outside and inside > 5
    # blurring removes the face: the detector no longer finds it
    assert Faces(mode="count")(_table([out.column("image")[0].as_py()])).column("face_count")[0].as_py() == 0
    assert out.column(C.REJECT_REASON).null_count == 2


def test_faces_reject_mode():
    out = Faces(mode="reject", max_faces=0)(_table([_bytes("hopper.jpg"), _bytes("flower.jpg")]))
    assert out.column(C.REJECT_REASON).to_pylist() == ["faces", None]
    assert out.column(C.REJECT_SCORE).to_pylist() == [1.0, None]


def test_nsfw_scores_low_on_benign_photos():
    names = ["hopper.jpg", "flower.jpg", "flower2.jpg", "hopper.png"]
    stage = Nsfw(threshold=0.5, batch_size=3)
    out = stage(_table([_bytes(n) for n in names] + [b"junk"]))
    scores = out.column("nsfw_score").to_pylist()
    assert all(0.0 <= s < 0.2 for s in scores[:4]), scores
    assert scores[4] is None
    assert out.column(C.REJECT_REASON).to_pylist() == [None] * 4 + ["undecodable_image"]
    assert stage.models()[0]["name"] == "nudenet-320n" and stage.models()[0]["random_init"] is False


def test_nsfw_score_is_the_best_exposed_class_of_each_anchor():
    # (batch=2, 4 box values + 18 classes, 3 anchors)
    out = np.zeros((2, 4 + len(LABELS), 3), np.float32)
    face, breast = LABELS.index("FACE_FEMALE"), LABELS.index("FEMALE_BREAST_EXPOSED")
    out[0, 4 + face, 0] = 0.9  # a face is not exposed skin
    out[0, 4 + breast, 1] = 0.7
    out[1, 4 + face, 2] = 0.8
    out[1, 4 + breast, 2] = 0.6  # not the anchor's top class: NudeNet would call it a face
    assert exposed_scores(out).tolist() == pytest.approx([0.7, 0.0])


def _rendered(text_lines, size=(480, 240)) -> bytes:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=36)
    for i, line in enumerate(text_lines):
        draw.text((20, 20 + 50 * i), line, fill="black", font=font)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def test_ocr_measures_text_area_on_rendered_text():
    stage = TextInImage(max_ratio=0.2)
    dense = _rendered(["THE QUICK BROWN", "FOX JUMPS OVER", "THE LAZY DOG 42"])
    sparse = _rendered(["hello"])
    out = stage(_table([dense, sparse, _bytes("flower.jpg")]))
    ratios = out.column("text_area_ratio").to_pylist()
    assert ratios[0] > 0.2 and 0.01 < ratios[1] < ratios[0] and ratios[2] < 0.05, ratios
    assert out.column("text_boxes_count").to_pylist()[0] >= 3
    assert out.column(C.REJECT_REASON).to_pylist() == ["too_much_text", None, None]
