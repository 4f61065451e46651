"""64-bit DCT perceptual hash (pHash), computed with numpy.

The image is decoded (with Pillow's ``draft`` for JPEGs), converted to grey, resized to 32x32,
transformed with a 2-D DCT-II; the 8x8 lowest frequencies (DC included) are compared with their
median, one bit each. Resized and re-encoded copies of an image land within a few bits.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

SIZE = 32
LOW = 8


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


_DCT = _dct_matrix(SIZE)
_BITS = (np.uint64(1) << np.arange(64, dtype=np.uint64)).astype(np.uint64)


def phash_pixels(grey: np.ndarray) -> int:
    """pHash of a SIZE x SIZE grey image given as a float array."""
    coeffs = _DCT @ grey @ _DCT.T
    low = coeffs[:LOW, :LOW].reshape(-1)
    bits = low > np.median(low)
    return int(np.sum(_BITS[bits], dtype=np.uint64))


def phash_image(image: Image.Image) -> int:
    """pHash of a Pillow image."""
    if image.format == "JPEG":
        image.draft("L", (SIZE * 4, SIZE * 4))
    grey = image.convert("L").resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    return phash_pixels(np.asarray(grey, dtype=np.float64))


def phash_bytes(data: bytes | None) -> int | None:
    """pHash of encoded image bytes; None when the bytes are missing or not a decodable image."""
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            return phash_image(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def phash_many(images: list[bytes | None]) -> tuple[np.ndarray, np.ndarray]:
    """(hashes as uint64, valid mask) of a list of encoded images."""
    hashes = np.zeros(len(images), np.uint64)
    valid = np.zeros(len(images), bool)
    for i, data in enumerate(images):
        h = phash_bytes(data)
        if h is not None:
            hashes[i], valid[i] = h, True
    return hashes, valid
