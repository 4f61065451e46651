"""Captions from an earlier run, consulted so that a rerun skips work already done.

A caption is reused when its provenance hash (``caption_<variant>_prov``) equals the one the
stage would write now and its status is final. Final means a rerun would give the same answer:
``ok``, ``empty``, ``refusal``, ``truncated``, ``repetitive`` and ``bad_image``; an ``error``
(a timeout, an HTTP failure) is transient and is tried again.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.dataset as ds

from recaption.hygiene import ERROR

RETRIED_STATUSES = frozenset({ERROR})


@dataclass(frozen=True)
class Columns:
    """The four columns one caption variant writes."""

    caption: str
    status: str
    meta: str
    prov: str

    @classmethod
    def for_variant(cls, variant: str) -> Columns:
        base = f"caption_{variant}"
        return cls(base, f"{base}_status", f"{base}_meta", f"{base}_prov")


def caption_columns(names: list[str]) -> list[str]:
    """The synthetic caption columns among ``names``: ``caption_<v>`` with a ``caption_<v>_prov``
    beside it (so the alt-text ``caption`` and the status/meta columns are not among them)."""
    present = set(names)
    return [n for n in names if n.startswith("caption_") and f"{n}_prov" in present]


def is_final(status) -> bool:
    """True when a status (or every non-null status of a document's list) needs no retry."""
    if status is None:
        return False
    if isinstance(status, list):
        return all(s not in RETRIED_STATUSES for s in status if s is not None)
    return status not in RETRIED_STATUSES


def expand(paths: str | list[str]) -> list[str]:
    """Parquet files named by paths, directories (searched recursively) or glob patterns."""
    out: list[str] = []
    for path in [paths] if isinstance(paths, str) else paths:
        if os.path.isdir(path):
            out += sorted(glob.glob(os.path.join(path, "**", "*.parquet"), recursive=True))
        else:
            matches = sorted(glob.glob(path))
            if not matches:
                raise FileNotFoundError(f"existing captions: nothing matches {path!r}")
            out += matches
    return out


def load_existing(paths: str | list[str], wanted: dict[str, str]) -> dict[str, dict[str, tuple]]:
    """For each variant in ``wanted`` (variant -> current provenance hash), the reusable captions
    found in ``paths``: ``{variant: {key: (caption, status, meta)}}``.

    Files without a variant's columns contribute nothing to it; files lacking ``key`` are errors.
    """
    found: dict[str, dict[str, tuple]] = {v: {} for v in wanted}
    for path in expand(paths):
        names = set(ds.dataset(path, format="parquet").schema.names)
        if "key" not in names:
            raise ValueError(f"existing captions file {path} has no 'key' column")
        for variant, prov in wanted.items():
            cols = Columns.for_variant(variant)
            if not {cols.caption, cols.status, cols.meta, cols.prov} <= names:
                continue
            table = ds.dataset(path, format="parquet").to_table(
                columns=["key", cols.caption, cols.status, cols.meta],
                filter=ds.field(cols.prov) == pa.scalar(prov),
            )
            for key, caption, status, meta in zip(*(table[c].to_pylist() for c in table.column_names), strict=True):
                if is_final(status):
                    found[variant][key] = (caption, status, meta)
    return found
