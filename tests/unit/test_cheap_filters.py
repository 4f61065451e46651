"""The cheap filters on real and hostile images and on a table of captions."""

import io
from pathlib import Path

import pyarrow as pa
import pytest
from PIL import Image

from engine import columns as C
from engine.runner.apply_stages import apply_stage, prepare
from engine.sources.base import Unit
from filters import AspectRatio, CaptionJunk, CaptionLength, ImageSize, ProbeImage, junk_reason
from tests.conftest import corpus


def run(stage, images=None, captions=None, **cols):
    n = len(images or captions)
    table = pa.table({"key": [f"k{i}" for i in range(n)],
                      "image": pa.array(images or [b"x"] * n, pa.binary()),
                      "caption": pa.array(captions or ["a caption"] * n, pa.string()), **cols})
    return apply_stage(stage, prepare(table, Unit(0, "t", 0, n, 0))).sort_by(C.SEQ).to_pylist()


def jpeg(size=(64, 48)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_probe_records_size_format_and_hash_of_good_images():
    [row] = run(ProbeImage(), [jpeg((64, 48))])
    assert row[C.REJECT_STAGE] is None
    assert (row["width"], row["height"], row["image_format"]) == (64, 48, "jpeg")
    assert len(row["sha256"]) == 64


@pytest.mark.parametrize("name,reason", [
    ("truncated_jpeg.jpg", "truncated_image"),
    ("pil123p.png", None),
    ("hopper.gif", None),
])
def test_probe_on_corpus_images(name, reason):
    data = (corpus("pillow-images") / name).read_bytes()
    [row] = run(ProbeImage(), [data])
    assert row[C.REJECT_REASON] == reason
    if reason is None:
        assert row["image_format"] in ("png", "jpeg", "webp")
        assert Image.open(io.BytesIO(row["image"])).format.lower() == row["image_format"]


def test_probe_refuses_decompression_bombs_before_decoding():
    root = corpus("pillow-images")
    bombs = [root / "decompression_bomb.gif", root / "decompression_bomb.ico"]
    rows = run(ProbeImage(formats=("GIF", "ICO")), [p.read_bytes() for p in bombs])
    assert [r[C.REJECT_REASON] for r in rows] == ["too_many_pixels", "too_many_pixels"]
    assert all(r["width"] is None for r in rows), "nothing was decoded"
    big = jpeg((400, 300))
    [row] = run(ProbeImage(max_pixels=100_000), [big])
    assert (row[C.REJECT_REASON], row[C.REJECT_SCORE], row[C.REJECT_THRESHOLD]) == ("too_many_pixels", 120000, 100000)


def test_pillows_bomb_warning_rejects_every_record_of_a_batch_and_leaves_the_filters(monkeypatch):
    import warnings

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)  # 400x300 now warns, under 2x: no error
    before = list(warnings.filters)
    rows = run(ProbeImage(), [jpeg((400, 300)), jpeg((64, 48)), jpeg((300, 400))])
    assert [r[C.REJECT_REASON] for r in rows] == ["too_many_pixels", None, "too_many_pixels"]
    assert "could be decompression bomb" in rows[0][C.REJECT_DETAIL]
    assert warnings.filters == before  # the batch's filter is gone once it is done


def test_probe_rejects_garbage_and_disallowed_formats():
    rows = run(ProbeImage(formats=("PNG",)), [b"\x00not an image", jpeg()])
    assert [r[C.REJECT_REASON] for r in rows] == ["decode_error", "unsupported_format"]


def test_probe_never_raises_on_the_whole_hostile_corpus():
    files = sorted(p for p in corpus("pillow-images").iterdir() if p.is_file())
    rows = run(ProbeImage(), [p.read_bytes() or b"" for p in files])
    assert len(rows) == len(files)
    reasons = {r[C.REJECT_REASON] for r in rows}
    assert None in reasons and "stage_error" not in reasons, reasons


def test_image_size_and_aspect():
    cols = {"width": pa.array([10, 300, 5000, 900], pa.int32()), "height": pa.array([10, 200, 300, 100], pa.int32())}
    sizes = run(ImageSize(min_side=64, max_side=4000), captions=["a b"] * 4, **cols)
    assert [r[C.REJECT_REASON] for r in sizes] == ["too_small", None, "too_big", None]
    assert sizes[0][C.REJECT_SCORE] == 10 and sizes[0][C.REJECT_THRESHOLD] == 64
    aspects = run(AspectRatio(max=3), captions=["a b"] * 4, **cols)
    assert [r[C.REJECT_REASON] for r in aspects] == [None, None, "aspect_ratio", "aspect_ratio"]
    assert aspects[3][C.REJECT_SCORE] == pytest.approx(9.0)


@pytest.mark.parametrize("caption,reason", [
    (None, "empty_caption"), ("   ", "empty_caption"), ("IMG_1234.jpg", "filename_caption"),
    ("DSC 0042", "filename_caption"), ("holiday photo.JPEG", "filename_caption"),
    ("https://example.com/a.jpg", "url_caption"), ("www.example.com/x", "url_caption"),
    ("sooooooooooo cute", "repeated_chars"), ("!!!!!!!!!!", "repeated_chars"), ("1234 5678", "no_letters"),
    ("A dog running on the beach", None), ("Photo of a cat, 2019", None), ("café in Paris", None),
])
def test_junk_captions(caption, reason):
    assert junk_reason(caption) == reason


def test_caption_junk_and_length_stages():
    captions = ["IMG_1.jpg", "a red square", "word", "x" * 50 + " y"]
    junk = run(CaptionJunk(), captions=captions)
    assert [r[C.REJECT_REASON] for r in junk] == ["filename_caption", None, None, "repeated_chars"]
    length = run(CaptionLength(min_words=2, max_chars=40), captions=captions)
    assert [r[C.REJECT_REASON] for r in length] == ["too_few_words", None, "too_few_words", "too_long"]
    assert [r["caption_words"] for r in length] == [1, 3, 1, 2]


def test_corpus_path_helper_points_at_shared_corpora():
    assert isinstance(corpus("pillow-images"), Path)


def test_shard_format_reencodes_at_full_size_and_keeps_matching_bytes():
    png = io.BytesIO()
    Image.new("RGBA", (80, 60), (0, 0, 255, 128)).save(png, "PNG")
    original = jpeg((96, 64))
    rows = run(ProbeImage(shard_format="jpeg"), [png.getvalue(), original])
    converted = Image.open(io.BytesIO(rows[0]["image"]))
    assert (converted.format, converted.size, rows[0]["image_format"]) == ("JPEG", (80, 60), "jpeg")
    assert rows[1]["image"] == original
    as_png = run(ProbeImage(shard_format="png"), [original])[0]
    assert Image.open(io.BytesIO(as_png["image"])).size == (96, 64)


def test_size_filters_judge_the_image_as_received_not_as_resized():
    cols = {"width": pa.array([256, 256], pa.int32()), "height": pa.array([256, 256], pa.int32()),
            "orig_width": pa.array([20, 900], pa.int32()), "orig_height": pa.array([20, 100], pa.int32())}
    sizes = run(ImageSize(min_side=64), captions=["a b"] * 2, **cols)
    aspects = run(AspectRatio(max=3), captions=["a b"] * 2, **cols)
    assert [r[C.REJECT_REASON] for r in sizes] == ["too_small", None]
    assert [r[C.REJECT_REASON] for r in aspects] == [None, "aspect_ratio"]
