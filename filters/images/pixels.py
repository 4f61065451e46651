"""Decoding image bytes for model stages: RGB Pillow images, with a clear reason on failure."""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError


class BadImage(ValueError):
    """Bytes that are not a decodable image; ``reason`` is the short reject reason."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def open_rgb(data: bytes | None, draft: tuple[int, int] | None = None) -> Image.Image:
    """Decode ``data`` to a loaded RGB image; raises :class:`BadImage`.

    ``draft`` lets JPEG decode at a reduced scale that is still at least that size, which is
    all a model that resizes to a few hundred pixels needs.
    """
    if not data:
        raise BadImage("no_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if draft is not None and image.format == "JPEG":
                image.draft("RGB", draft)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise BadImage("decompression_bomb", str(err)[:200]) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as err:
        raise BadImage("undecodable_image", f"{type(err).__name__}: {str(err)[:160]}") from None
    if image.mode != "RGB":
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            background = Image.new("RGB", image.size, (255, 255, 255))
            background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
            image = background
        else:
            image = image.convert("RGB")
    return image


def bound_for(reasons: list[str | None], own: set[str], value: float | None) -> list[float | None]:
    """Per-row thresholds for ``verdict``: ``value`` where the reason is one of this filter's
    own score reasons (``own``), None where the row failed for another reason (bad image)."""
    return [value if r in own else None for r in reasons]
