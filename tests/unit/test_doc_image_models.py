"""The bundled image models judge every image of a document: scores per position, images
removed or blurred in place, the document rejected for an NSFW image when asked."""

import io
import json

import numpy as np
import pyarrow as pa
import pytest
from PIL import Image

from engine import columns as C
from filters.documents.per_image import PerImage
from filters.documents.positions import apply_removals
from filters.safety.faces import Faces
from filters.safety.nsfw import Nsfw
from filters.safety.text_in_image import TextInImage
from schemas.document import check_interleaving
from tests.conftest import corpus
from tests.unit.test_doc_filters import EN, docs
from tests.unit.test_safety_images import _rendered


def _bytes(name: str) -> bytes:
    return (corpus("pillow-images") / name).read_bytes()


def with_images(table: pa.Table, images: list[list[bytes | None]]) -> pa.Table:
    return table.set_column(table.schema.get_field_index("images"), "images", pa.array(images, pa.list_(pa.binary())))


@pytest.fixture(scope="module")
def batch() -> pa.Table:
    """Doc 0: text, portrait, text, flower. Doc 1: text, rendered text. Doc 2: text only."""
    table = docs(
        [EN, ("img", "https://a.org/hopper.jpg", 128, 128), EN, ("img", "https://a.org/flower.jpg", 800, 600)],
        [EN, ("img", "https://b.org/slide.png", 480, 240)],
        [EN],
    )
    slide = _rendered(["THE QUICK BROWN", "FOX JUMPS OVER", "THE LAZY DOG 42"])
    return with_images(table, [[None, _bytes("hopper.jpg"), None, _bytes("flower.jpg")], [None, slide], [None]])


def test_faces_blur_each_document_image_in_place_and_count_per_position(batch):
    stage = PerImage(Faces(mode="blur"), name="doc_faces")
    out = stage(batch)
    assert out.column("image_face_count").to_pylist() == [[None, 1, None, 0], [None, 0], [None]]
    assert out.column("doc_face_count_max").to_pylist() == [1.0, 0.0, None]
    assert out.column("image_face_blurred").to_pylist()[0] == [None, True, None, False]
    images = out.column("images").to_pylist()
    assert images[0][3] == _bytes("flower.jpg") and images[1] == batch.column("images")[1].as_py()
    blurred = images[0][1]
    assert blurred != _bytes("hopper.jpg")
    assert Faces(mode="count").detect(Image.open(io.BytesIO(blurred)).convert("RGB")) == []
    assert out.column(C.REJECT_REASON).null_count == 3
    assert not stage.needs_setup  # Faces runs as tasks; PerImage keeps that


def test_rejected_images_leave_their_position_with_the_reason(batch):
    stage = PerImage(TextInImage(max_ratio=0.2), name="doc_text_in_image")
    assert stage.needs_setup  # an actor pool, like the pairs stage
    out = stage(batch).to_pylist()
    slide_doc = out[1]
    assert slide_doc["texts"] == [EN] and slide_doc["image_urls"] == [None]
    assert slide_doc["image_text_area_ratio"] == [None]  # the per-image list shrank with the rest
    removed = json.loads(slide_doc["metadata"])["removed_images"]
    assert [(r["url"], r["stage"], r["reason"]) for r in removed] == [
        ("https://b.org/slide.png", "doc_text_in_image", "too_much_text")]
    assert removed[0]["detail"].startswith("text_area_ratio=")
    assert slide_doc[C.REJECT_REASON] is None  # the document stays, without the image
    assert slide_doc["doc_text_area_ratio_max"] > 0.2
    photo_doc = out[0]
    assert len(photo_doc["image_text_area_ratio"]) == 4 and photo_doc["image_text_area_ratio"][3] < 0.05
    assert check_interleaving(photo_doc["texts"], photo_doc["images"]) is None


def test_nsfw_scores_benign_images_low_and_rejects_the_document_when_told(batch):
    scored = PerImage(Nsfw(threshold=0.5), document_reasons=("nsfw",), name="doc_nsfw")(batch)
    scores = scored.column("image_nsfw_score").to_pylist()
    assert [s is None for s in scores[0]] == [True, False, True, False]
    assert all(s < 0.2 for s in scores[0] + scores[1] if s is not None)
    assert scored.column(C.REJECT_REASON).to_pylist() == [None, None, None]
    # a threshold every image passes stands in for an explicit image: the whole document goes
    strict = PerImage(Nsfw(threshold=0.0), document_reasons=("nsfw",), name="doc_nsfw")(batch)
    assert strict.column(C.REJECT_REASON).to_pylist() == ["nsfw", "nsfw", None]
    assert strict.column(C.REJECT_STAGE).to_pylist() == ["doc_nsfw", "doc_nsfw", None]
    assert strict.column(C.REJECT_THRESHOLD).to_pylist()[:2] == [0.0, 0.0]
    # without document_reasons the same verdicts remove the images and keep the text
    removing = PerImage(Nsfw(threshold=0.0), name="doc_nsfw")(batch).to_pylist()
    assert removing[0]["image_urls"] == [None, None] and removing[0][C.REJECT_REASON] is None


def test_undecodable_image_is_removed_not_the_document():
    table = with_images(docs([EN, ("img", "https://a.org/x.jpg", 300, 300), EN]), [[None, b"\xff\xd8junk", None]])
    out = PerImage(Faces(mode="count"), name="doc_faces")(table).to_pylist()[0]
    assert out["texts"] == [EN, EN] and out[C.REJECT_REASON] is None
    assert json.loads(out["metadata"])["removed_images"][0]["reason"] == "undecodable_image"


def test_later_removals_keep_per_image_scores_parallel(batch):
    scored = PerImage(Faces(mode="count"), name="doc_faces")(batch)
    drop_first_image = apply_removals(scored, lambda row: {1: ("test", None)} if len(row["texts"]) == 4 else {}, "t")
    first = drop_first_image.to_pylist()[0]
    assert first["image_face_count"] == [None, None, 0] and first["image_face_boxes"] == [None, None, []]
    assert np.array_equal([t is None for t in first["texts"]], [False, False, True])


def test_records_the_inner_model_under_its_own_name():
    stage = PerImage(Nsfw(), name="doc_nsfw")
    assert stage.models()[0]["name"] == "nudenet-320n" and stage.models()[0]["stage"] == "doc_nsfw"
    assert stage.config()["inner"]["threshold"] == 0.5
    assert "doc_nsfw_score_max" in stage.score_columns
