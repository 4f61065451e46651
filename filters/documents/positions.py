"""Edit the positions of document records (texts/images parallel lists) without breaking them.

Node-level filters remove an image from its position rather than rejecting the document; the
removal and its reason are recorded in the document's ``metadata`` JSON (``removed_images``) so
that nothing disappears silently.

Besides :data:`LIST_COLUMNS`, every list column whose name starts with ``image_`` holds one value
per position (per-image scores such as ``image_clip_scores`` or ``image_nsfw_score``): a removal
edits those too, so they stay parallel whichever stage added them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from engine.stage import set_columns

LIST_COLUMNS = ("texts", "images", "image_urls", "image_widths", "image_heights")
PER_IMAGE_PREFIX = "image_"


def parallel_columns(schema: pa.Schema) -> list[str]:
    """The columns of ``schema`` that hold one value per document position."""
    named = [n for n in LIST_COLUMNS if n in schema.names]
    per_image = [f.name for f in schema if f.name.startswith(PER_IMAGE_PREFIX) and f.name not in LIST_COLUMNS
                 and (pa.types.is_list(f.type) or pa.types.is_large_list(f.type))]
    return named + per_image


def remove_positions(doc: dict[str, Any], removals: dict[int, tuple[str, str | None]],
                     stage: str, columns: tuple[str, ...] | list[str] = LIST_COLUMNS) -> dict[str, Any]:
    """Return ``doc`` (a row dict) without the image positions in ``removals``.

    ``removals`` maps a position to (reason, detail). ``metadata.image_info`` stays parallel to
    the positions; each removed image goes to ``metadata.removed_images`` with its URL, its
    original description, the stage and the reason. ``columns`` names the parallel lists to edit.
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
    for name in columns:
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
    names = _edited_columns(batch.schema)
    rows = batch.select(names).to_pylist()
    plans = [{} if (skip and skip[i]) or row["texts"] is None else decide(row) for i, row in enumerate(rows)]
    return _write_back(batch, names, rows, plans, stage)


def remove_planned(batch: pa.Table, plans: list[dict[int, tuple[str, str | None]]], stage: str) -> pa.Table:
    """Remove, from row i of ``batch``, the positions ``plans[i]`` maps to (reason, detail)."""
    if not any(plans):
        return batch
    names = _edited_columns(batch.schema)
    return _write_back(batch, names, batch.select(names).to_pylist(), plans, stage)


def _edited_columns(schema: pa.Schema) -> list[str]:
    return [*parallel_columns(schema), *(["metadata"] if "metadata" in schema.names else [])]


def _write_back(batch: pa.Table, names: list[str], rows: list[dict], plans: list[dict], stage: str) -> pa.Table:
    parallel = [n for n in names if n != "metadata"]
    for i, plan in enumerate(plans):
        if plan and rows[i]["texts"] is not None:
            rows[i] = remove_positions(rows[i], plan, stage, parallel)
    return set_columns(batch, {n: pa.array([r[n] for r in rows], batch.schema.field(n).type) for n in names})


def image_positions(row: dict[str, Any]) -> list[int]:
    """Positions of ``row`` that hold an image (by URL)."""
    return [i for i, url in enumerate(row["image_urls"] or []) if url is not None]
