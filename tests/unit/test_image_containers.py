"""The container walk shared by the C2PA scan and the metadata scrubber, on real encoded images."""

import io

from PIL import Image

from engine.consent.c2pa_read import manifest_container
from engine.consent.containers import container_of, jpeg_segments, png_chunks, riff_chunks
from engine.consent.scrub import strip_metadata


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
