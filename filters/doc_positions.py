"""Edit the positions of document records (texts/images parallel lists) without breaking them.

Node-level filters remove an image from its position rather than rejecting the document; the
removal and its reason are recorded in the document's ``metadata`` JSON (``removed_images``) so
that nothing disappears silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from engine.stage import set_columns

LIST_COLUMNS = ("texts", "images", "image_urls", "image_widths", "image_heights")


def remove_positions(doc: dict[str, Any], removals: dict[int, tuple[str, str | None]],
                     stage: str) -> dict[str, Any]:
    """Return ``doc`` (a row dict) without the image positions in ``removals``.

    ``removals`` maps a position to (reason, detail). ``metadata.image_info`` stays parallel to
    the positions; each removed image goes to ``metadata.removed_images`` with its URL, its
    original description, the stage and the reason.
    """
    if not removals:
        return doc
    meta = json.loads(doc["metadata"] or "{}")
    info = meta.get("image_info") or [None] * len(doc["texts"])
    removed = meta.setdefault("removed_images", [])
    for pos in sorted(removals):
        reason, detail = removals[pos]
        entry = {"url": doc["image_urls"][pos], "stage": stage, "reason": reason, **(info[pos] or {})}
        if detail:
            entry["detail"] = detail
        removed.append(entry)
    keep = [i for i in range(len(doc["texts"])) if i not in removals]
    out = dict(doc)
    for name in LIST_COLUMNS:
        values = doc.get(name)
        if values is not None:
            out[name] = [values[i] for i in keep]
    meta["image_info"] = [info[i] for i in keep]
    out["metadata"] = json.dumps(meta, ensure_ascii=False, sort_keys=True)
    return out


def apply_removals(
    batch: pa.Table,
    decide: Callable[[dict[str, Any]], dict[int, tuple[str, str | None]]],
    stage: str,
    skip: list[bool] | None = None,
) -> pa.Table:
    """Run ``decide`` over each live document row and write back the edited list columns."""
    names = [n for n in (*LIST_COLUMNS, "metadata") if n in batch.column_names]
    rows = batch.select(names).to_pylist()
    for i, row in enumerate(rows):
        if (skip and skip[i]) or row["texts"] is None:
            continue
        rows[i] = remove_positions(row, decide(row), stage)
    return set_columns(batch, {n: pa.array([r[n] for r in rows], batch.schema.field(n).type)
                               for n in names})


def image_positions(row: dict[str, Any]) -> list[int]:
    """Positions of ``row`` that hold an image (by URL)."""
    return [i for i, url in enumerate(row["image_urls"] or []) if url is not None]
