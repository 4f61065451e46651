"""Document-level consent: honour ``noai`` and ``noimageai`` from robots meta tags and the
X-Robots-Tag header, as gathered by the extraction stage in ``metadata.consent``."""

from __future__ import annotations

import json

import pyarrow as pa

from engine.stage import Filter
from filters.documents.positions import apply_removals, image_positions


class DocumentConsent(Filter):
    """Reject documents that opt out of AI use (``noai``: reason ``opt_out_noai``) and remove
    the images of documents that opt out for images (``noimageai``: each image removed with
    reason ``opt_out_noimageai``). The evidence stays in ``metadata.consent``.

    ``honour=False`` records without enforcing (for audits); the default honours both.
    """

    name = "doc_consent"

    def __init__(self, *, honour: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.honour = honour

    def __call__(self, batch: pa.Table) -> pa.Table:
        consents = [json.loads(m or "{}").get("consent", {})
                    for m in batch.column("metadata").to_pylist()]
        reasons = [
            "opt_out_noai" if self.honour and c.get("noai") else None for c in consents
        ]
        details = [", ".join(c.get("meta", []) + c.get("header", [])) or None for c in consents]
        if self.honour:
            skip = [not c.get("noimageai") or bool(c.get("noai")) for c in consents]
            batch = apply_removals(
                batch,
                lambda row: {p: ("opt_out_noimageai", None) for p in image_positions(row)},
                self.name,
                skip=skip,
            )
        return self.verdict(batch, reasons, details=details)
