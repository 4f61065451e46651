"""Arrow schemas of an interleaved document record, and of the OBELICS documents a shard holds.

``DOCUMENT_SCHEMA``: a document on its way through a run. ``texts`` and ``images`` are parallel
lists: at each position exactly one of the two is non-null, so the sequence reads text, image,
text... in page order. ``images`` holds the fetched bytes; ``image_urls``, ``image_widths``, ...
are parallel to it; ``metadata`` is the document's JSON (provenance, consent, per-position
``image_info``, ``removed_images``).

``OBELICS_SCHEMA``: the columns of HuggingFaceM4/OBELICS with its names and types, which every
written document carries: ``images`` (image URL or null per position), ``texts`` (text or null
per position), ``metadata`` (a JSON string: a list with one object per image position, null at
text positions) and ``general_metadata`` (a JSON string about the page: url, WARC file, offset,
length, and loomery's provenance and consent evidence). Our own fields follow beside them.
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

OBELICS_SCHEMA = pa.schema(
    [
        pa.field("images", pa.list_(pa.string())),
        pa.field("metadata", pa.string()),
        pa.field("general_metadata", pa.string()),
        pa.field("texts", pa.list_(pa.string())),
    ],
    metadata={"loomery.schema": "document.obelics", "loomery.schema_version": SCHEMA_VERSION},
)

# The keys of one image position's object in OBELICS ``metadata``, and of ``general_metadata``.
OBELICS_IMAGE_KEYS = ("document_url", "unformatted_src", "src", "formatted_filename", "alt_text",
                      "original_width", "original_height")
OBELICS_GENERAL_KEYS = ("url", "warc_filename", "warc_record_offset", "warc_record_length")

# What a documents shard's Parquet sidecar holds: OBELICS columns, then key, url and the sizes.
DOCUMENT_METADATA_SCHEMA = pa.schema(
    [*OBELICS_SCHEMA, pa.field("key", pa.string(), nullable=False), pa.field("url", pa.string()),
     pa.field("image_widths", pa.list_(pa.int32())), pa.field("image_heights", pa.list_(pa.int32()))],
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
