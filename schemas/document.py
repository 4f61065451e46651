"""Arrow schema of an interleaved document record, OBELICS-compatible.

``texts`` and ``images`` are parallel lists: at each position exactly one of the two is non-null,
so the sequence reads text, image, text... in page order. The image columns (``image_urls``,
``image_widths``, ...) are parallel to ``images``.
"""

import pyarrow as pa

from schemas.version import SCHEMA_VERSION

DOCUMENT_SCHEMA = pa.schema(
    [
        pa.field("key", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("texts", pa.list_(pa.string())),
        pa.field("images", pa.list_(pa.binary())),
        pa.field("image_urls", pa.list_(pa.string())),
        pa.field("image_widths", pa.list_(pa.int32())),
        pa.field("image_heights", pa.list_(pa.int32())),
        pa.field("metadata", pa.string()),
    ],
    metadata={"loomery.schema": "document", "loomery.schema_version": SCHEMA_VERSION},
)


def check_interleaving(texts: list, images: list) -> str | None:
    """Return why ``texts``/``images`` break the one-item-per-position rule, or None if they hold."""
    if len(texts) != len(images):
        return f"texts has {len(texts)} positions but images has {len(images)}"
    for i, (t, im) in enumerate(zip(texts, images, strict=True)):
        if (t is None) == (im is None):
            return f"position {i} holds {'both' if t is not None else 'neither'} text and image"
    return None
