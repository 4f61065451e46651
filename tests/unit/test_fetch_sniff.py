"""The fetcher's JPEG header walk gives Pillow's answer or defers to Pillow, never another one."""

import io
import random

import pytest
from PIL import Image

from engine.fetch import sniff
from engine.fetch.resolve import FetchError
from tests.conftest import corpus


def pillow_size(data: bytes):
    """What Image.open says: the size, or the exception type it raised."""
    try:
        with Image.open(io.BytesIO(data), formats=("JPEG",)) as im:
            return im.size
    except Exception as exc:  # noqa: BLE001 - any failure is an answer to compare
        return type(exc)


def agrees(data: bytes) -> bool:
    fast = sniff.jpeg_size(data)
    return fast is None or fast == pillow_size(data)


def jpeg(size=(120, 80), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, "JPEG", **save)
    return out.getvalue()


def test_plain_jpegs_are_read_without_pillow():
    for size, save in [((120, 80), {}), ((1, 65500), {}), ((333, 7), {"progressive": True}),
                       ((64, 64), {"exif": Image.Exif().tobytes(), "comment": b"hi"})]:
        assert sniff.jpeg_size(jpeg(size, **save)) == size
    grey = io.BytesIO()
    Image.new("L", (50, 40)).save(grey, "JPEG")
    assert sniff.jpeg_size(grey.getvalue()) == (50, 40)


def test_every_truncation_and_byte_flip_agrees_with_pillow():
    data = jpeg((200, 150), exif=Image.Exif().tobytes(), icc_profile=b"\0" * 200)
    head = data.index(b"\xff\xda") + 20
    assert all(agrees(data[:n]) for n in range(3, head))
    rng = random.Random(7)
    flipped = 0
    for _ in range(2000):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            mutated[rng.randrange(3, head)] = rng.randrange(256)
        assert agrees(bytes(mutated)), bytes(mutated[:head]).hex()
        flipped += sniff.jpeg_size(bytes(mutated)) is None
    assert 0 < flipped < 2000  # both paths were taken


def test_pillow_test_images_agree():
    root = corpus("pillow-images")
    checked = read = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if sniff.sniff_format(data) != "jpeg":
            continue
        checked += 1
        read += sniff.jpeg_size(data) is not None
        assert agrees(data), path.name
    assert checked > 40 and read > 20


def test_header_size_caps_pixels_on_both_paths():
    data = jpeg((300, 200))
    assert sniff.header_size(data, 60_000, "jpeg") == (300, 200)
    with pytest.raises(FetchError) as err:
        sniff.header_size(data, 59_999, "jpeg")
    assert err.value.reason == "too_many_pixels"
    sof = data.index(b"\xff\xc0") + 5  # height, width: 65535 x 65535 > twice Pillow's bomb limit
    huge = data[:sof] + b"\xff\xff\xff\xff" + data[sof + 4:]
    with pytest.raises(FetchError) as err:
        sniff.header_size(huge, 10**12, "jpeg")
    assert err.value.reason == "too_many_pixels"
    with pytest.raises(FetchError) as err:
        sniff.header_size(data[:40], 10**9, "jpeg")  # cut inside the header: Pillow decides
    assert err.value.reason == "decode_error"
