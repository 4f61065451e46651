"""64-bit DCT perceptual hash (pHash), computed with numpy the way ``imagehash.phash`` does.

The image is converted to grey, resized to 32x32 (Lanczos), transformed with a 2-D DCT-II
(unnormalised, as scipy's default: the DC row is not rescaled, which would move the median); the
8x8 lowest frequencies (DC included) are compared with their median, one bit each, packed row by
row with the first coefficient as the most significant bit, so ``f"{h:016x}"`` is imagehash's
hex string. Hash lists written with imagehash therefore match (``exact=True`` gives the same bits;
the default decodes JPEGs at a reduced scale with Pillow's ``draft``, faster, and within a
couple of bits, which is what comparisons among our own hashes need). Resized and re-encoded
copies of an image land within a few bits.
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
    return np.cos(np.pi * (2 * i + 1) * k / (2 * n))


_DCT = _dct_matrix(SIZE)
# bit 63 is coefficient (0, 0): imagehash's order (its hex string reads the bits row by row)
_BITS = (np.uint64(1) << (np.uint64(63) - np.arange(64, dtype=np.uint64))).astype(np.uint64)


def phash_pixels(grey: np.ndarray) -> int:
    """pHash of a SIZE x SIZE grey image given as a float array."""
    coeffs = _DCT @ grey @ _DCT.T
    # Rounded: a flat image's coefficients are rounding noise around 0, which scipy (hence
    # imagehash) returns as exact zeros; real coefficients are far above 1e-6.
    low = np.round(coeffs[:LOW, :LOW].reshape(-1), 6)
    bits = low > np.median(low)
    return int(np.sum(_BITS[bits], dtype=np.uint64))


def phash_image(image: Image.Image, exact: bool = False) -> int:
    """pHash of a Pillow image; ``exact`` skips the reduced-scale JPEG decode, so the bits are
    imagehash's exactly."""
    if image.format == "JPEG" and not exact:
        image.draft("L", (SIZE * 4, SIZE * 4))
    grey = image.convert("L").resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    return phash_pixels(np.asarray(grey, dtype=np.float64))


def phash_bytes(data: bytes | None, exact: bool = False) -> int | None:
    """pHash of encoded image bytes; None when the bytes are missing or not a decodable image.
    ``exact``: as :func:`phash_image`."""
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            return phash_image(image, exact)
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
