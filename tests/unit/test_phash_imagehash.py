"""Our pHash is imagehash's pHash, bit for bit, so blocklists written with imagehash match."""

import io

import imagehash
import pyarrow as pa
import pytest
from PIL import Image

from engine import columns as C
from filters.dedup.phash import phash_bytes
from filters.safety.blocklist import Blocklist
from tests.conftest import corpus

FORMATS = (".jpg", ".png", ".gif", ".bmp", ".webp", ".tif")


def _images(limit: int = 80) -> list[tuple[str, bytes]]:
    root = corpus("pillow-images")
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in FORMATS or not path.is_file():
            continue
        data = path.read_bytes()
        try:
            with Image.open(io.BytesIO(data)) as im:
                im.load()
                if im.width * im.height > 4_000_000 or min(im.size) < 8:
                    continue
        except Exception:
            continue
        found.append((path.name, data))
        if len(found) == limit:
            break
    return found


def test_exact_phash_equals_imagehash_hex_on_real_images():
    images = _images()
    assert len(images) >= 40
    for name, data in images:
        expected = str(imagehash.phash(Image.open(io.BytesIO(data))))
        assert f"{phash_bytes(data, exact=True):016x}" == expected, name


def test_fast_phash_stays_within_two_bits_of_imagehash():
    for name, data in _images(40):
        ours = phash_bytes(data)
        theirs = int(str(imagehash.phash(Image.open(io.BytesIO(data)))), 16)
        assert bin(ours ^ theirs).count("1") <= 2, name


@pytest.mark.parametrize("distance", [0, 4])
def test_blocklist_written_with_imagehash_matches(distance):
    root = corpus("pillow-images")
    a, b = (root / "hopper.jpg").read_bytes(), (root / "flower.jpg").read_bytes()
    entry = str(imagehash.phash(Image.open(io.BytesIO(a))))
    stage = Blocklist(phash=[entry], phash_distance=distance)
    out = stage(pa.table({"key": ["0" * 24, "1" * 24], "url": ["https://x.test/a", "https://x.test/b"],
                          "image": [a, b]}))
    assert out.column(C.REJECT_REASON).to_pylist() == ["blocklist_phash", None]
