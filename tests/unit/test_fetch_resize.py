"""The resizer: img2dataset's modes, output formats, EXIF orientation, mode conversions."""

import io

import numpy as np
import pytest
from PIL import Image

from filters.images.resize import ResizeError, Resizer


def encode(im: Image.Image, fmt: str = "JPEG", **kw) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **kw)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


PHOTO = encode(Image.new("RGB", (400, 200), (200, 30, 30)))


@pytest.mark.parametrize("mode, size", [
    ("no", (400, 200)),
    ("keep_ratio", (200, 100)),  # smaller side = 100
    ("keep_ratio_largest", (100, 50)),  # larger side = 100
    ("center_crop", (100, 100)),
    ("border", (100, 100)),
])
def test_modes(mode, size):
    out = Resizer(image_size=100, resize_mode=mode)(PHOTO)
    assert (out.width, out.height) == size
    assert decode(out.data).size == size
    assert (out.orig_width, out.orig_height) == (400, 200)


def test_border_pads_with_black_and_keeps_content_centred():
    im = decode(Resizer(image_size=100, resize_mode="border")(PHOTO).data).convert("RGB")
    assert max(im.getpixel((50, 2))) < 20  # padding above
    r, g, b = im.getpixel((50, 50))
    assert r > 150 and g < 80


def test_resize_only_if_bigger_leaves_small_images():
    small = encode(Image.new("RGB", (40, 30), "blue"))
    out = Resizer(image_size=100, resize_mode="keep_ratio", resize_only_if_bigger=True)(small)
    assert (out.width, out.height) == (40, 30)
    out = Resizer(image_size=100, resize_mode="keep_ratio")(small)
    assert min(out.width, out.height) == 100  # upscaled


@pytest.mark.parametrize("fmt, magic", [("jpg", b"\xff\xd8"), ("png", b"\x89PNG"),
                                        ("webp", b"RIFF")])
def test_output_formats(fmt, magic):
    out = Resizer(image_size=64, encode_format=fmt, encode_quality=80)(PHOTO)
    assert out.data.startswith(magic) and out.format == fmt


def test_quality_changes_size():
    noisy = encode(Image.fromarray(np.random.default_rng(0).integers(0, 255, (256, 256, 3),
                                                                        dtype=np.uint8)))
    low = Resizer(image_size=256, encode_quality=20)(noisy)
    high = Resizer(image_size=256, encode_quality=95)(noisy)
    assert len(low.data) < len(high.data)


def test_exif_orientation_is_applied():
    im = Image.new("RGB", (300, 100), "green")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    out = Resizer(image_size=50, resize_mode="keep_ratio")(encode(im, exif=exif.tobytes()))
    assert (out.orig_width, out.orig_height) == (100, 300)
    assert out.width == 50 and out.height == 150


@pytest.mark.parametrize("make", [
    lambda: encode(Image.new("CMYK", (64, 48), (0, 255, 255, 0))),
    lambda: encode(Image.new("P", (64, 48)), "PNG"),
    lambda: encode(Image.new("L", (64, 48), 128), "PNG"),
    lambda: encode(Image.new("1", (64, 48), 1), "PNG"),
    lambda: encode(Image.new("LA", (64, 48), (10, 0)), "PNG"),
    lambda: encode(Image.new("RGBA", (64, 48), (0, 0, 0, 0)), "PNG"),
    lambda: encode(Image.fromarray(np.full((48, 64), 60000, np.uint16)), "PNG"),
    lambda: encode(Image.new("RGB", (64, 48), "red"), "GIF"),
])
def test_modes_are_converted_to_rgb(make):
    out = Resizer(image_size=32, resize_mode="keep_ratio_largest")(make())
    im = decode(out.data)
    assert im.mode == "RGB" and im.size == (32, 24)


def test_transparent_is_matted_on_white():
    out = Resizer(image_size=32, encode_format="png")(
        encode(Image.new("RGBA", (32, 32), (0, 0, 0, 0)), "PNG"))
    assert decode(out.data).getpixel((16, 16)) == (255, 255, 255)


def test_sixteen_bit_is_scaled_not_clipped():
    data = encode(Image.fromarray(np.full((8, 8), 32896, np.uint16)), "PNG")  # half of 65535
    px = decode(Resizer(image_size=8, encode_format="png")(data).data).getpixel((4, 4))
    assert 120 <= px[0] <= 135


@pytest.mark.parametrize("data", [b"", b"not an image", PHOTO[: len(PHOTO) // 2]])
def test_broken_input_is_a_decode_error(data):
    with pytest.raises(ResizeError) as err:
        Resizer(image_size=32)(data)
    assert err.value.reason == "decode_error"


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        Resizer(resize_mode="stretch")
    with pytest.raises(ValueError):
        Resizer(encode_format="bmp")
