"""The container walk shared by the C2PA scan and the metadata scrubber, on real encoded images."""

import io

from PIL import Image

from engine.consent.c2pa_read import manifest_container
from engine.consent.containers import container_of, jpeg_segments, png_chunks, riff_chunks
from engine.consent.scrub import strip_metadata
from tests.conftest import SHARED


def _encoded(fmt: str) -> bytes:
    im = Image.new("RGB", (32, 24), (200, 30, 60))
    exif = Image.Exif()
    exif[0x013B] = "Jane Owner"  # Artist
    buf = io.BytesIO()
    im.save(buf, fmt, exif=exif.tobytes())
    return buf.getvalue()


def test_each_container_is_walked_to_its_known_segments():
    jpeg, png, webp = _encoded("JPEG"), _encoded("PNG"), _encoded("WEBP")
    assert [container_of(x) for x in (jpeg, png, webp, b"GIF89a")] == ["jpeg", "png", "webp", None]
    assert 0xE1 in {marker for marker, _, _ in jpeg_segments(jpeg)}  # the EXIF APP1
    kinds = [kind for kind, _, _ in png_chunks(png)]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"eXIf" in kinds
    assert b"EXIF" in {kind for kind, _, _ in riff_chunks(webp)}
    for data in (jpeg, png, webp):
        spans = [(s, e) for _, s, e in {"jpeg": jpeg_segments, "png": png_chunks, "webp": riff_chunks}[
            container_of(data)](data)]
        assert all(s < e <= len(data) for s, e in spans)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))  # in order, no overlap


def test_truncated_images_never_raise_and_keep_no_owner_name():
    for data in (_encoded("JPEG"), _encoded("PNG"), _encoded("WEBP")):
        assert b"Jane Owner" in data and b"Jane Owner" not in strip_metadata(data)
        for cut in range(0, len(data), 7):
            part = data[:cut]
            assert manifest_container(part) is None
            stripped = strip_metadata(part)
            assert len(stripped) <= len(part) + 8  # a WebP header may be rewritten, never grown


def _strip_jpeg_reference(data: bytes) -> bytes:
    """The scrubber's JPEG rule written plainly: SOI, then every segment it keeps, then the
    scan onwards; fill bytes between segments are dropped."""
    out, pos = [data[:2]], 2
    for marker, start, end in jpeg_segments(data):
        payload = data[start + 4:end]
        keep = (0xD0 <= marker <= 0xD7 or marker == 0x01
                or (marker == 0xE0 and payload.startswith(b"JFIF\x00"))
                or (marker == 0xE2 and payload.startswith(b"ICC_PROFILE\x00"))
                or (marker == 0xEE and payload.startswith(b"Adobe"))
                or not (0xE0 <= marker <= 0xEF or marker == 0xFE))
        if keep:
            out.append(data[start:end])
        pos = end
    out.append(data[pos:])
    return b"".join(out)


def _jpegs() -> list[bytes]:
    plain = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 90)).save(plain, "JPEG")
    plain = plain.getvalue()
    commented = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 90)).save(commented, "JPEG", comment=b"by Jane Owner")
    filled = plain[:2] + b"\xff\xff" + plain[2:]  # fill bytes before the first segment
    images = [plain, commented.getvalue(), _encoded("JPEG"), filled]
    root = SHARED / "pillow-images"  # the real JPEGs too, where the shared corpora are present
    if root.exists():
        images += [p.read_bytes() for p in sorted(root.iterdir()) if p.suffix.lower() in (".jpg", ".jpeg")]
    return images


def test_jpeg_scrub_keeps_exactly_what_the_rule_keeps_and_copies_nothing_clean():
    images = _jpegs()
    for data in images:
        for part in (data, data[: len(data) // 2], data[:40]):
            assert strip_metadata(part) == _strip_jpeg_reference(part)
    plain, commented, with_exif, filled = images[:4]
    assert strip_metadata(plain) is plain  # nothing to drop: the bytes themselves, no copy
    assert b"Jane Owner" not in strip_metadata(commented) and b"Jane Owner" not in strip_metadata(with_exif)
    assert strip_metadata(filled) == plain
