"""The rights columns of a pair record, filled by the fetch stage from the ORIGINAL bytes
(before resizing, which drops every metadata field) and from what the fetch saw.

``license`` (lower-case SPDX-style id), ``ai_generated`` (bool, null when unknown),
``data_mining`` (the IPTC PLUS code, null when absent), ``tdm`` (TDMRep lines checked) and
``rights_evidence`` (JSON: raw XMP values, C2PA finding, where the licence came from).
"""

from __future__ import annotations

import json

import pyarrow as pa

from engine.consent.image_rights import image_rights
from engine.consent.record import image_record


def rights_row(original: bytes) -> dict:
    """What the image's own bytes say (the fetch's evidence is joined in :func:`rights_arrays`)."""
    return {"_rights": image_rights(original)}


def rights_arrays(rows: list[dict | None], extras: list[dict]) -> dict[str, pa.Array]:
    """The rights columns for a batch: ``rows`` from :func:`rights_row` (None where no body
    arrived), ``extras`` each fetch result's ``extra``."""
    records = []
    for row, extra in zip(rows, extras, strict=True):
        if row is None or "_rights" not in row:
            records.append({"tdm": extra.get("tdm")})
        else:
            records.append(image_record(row["_rights"], extra))
    return {
        "license": pa.array([r.get("license") for r in records], pa.string()),
        "ai_generated": pa.array([r.get("ai_generated") for r in records], pa.bool_()),
        "data_mining": pa.array([r.get("data_mining") for r in records], pa.string()),
        "tdm": pa.array([r.get("tdm") for r in records], pa.string()),
        "rights_evidence": pa.array(
            [json.dumps(r["evidence"], sort_keys=True) if r.get("evidence") else None
             for r in records], pa.string()),
    }
