"""Licence and rights counts of a finished output, for ``loomery stats``, the HTML report and
the dataset card (the report renders them as HTML itself: this module writes text and Markdown).

Kept records are counted by ``license`` (``none`` where no statement was found) and by
``ai_generated`` (true/false/unknown): pairs from the ``license``/``ai_generated`` columns of
each shard's Parquet sidecar, documents from ``general_metadata.rights`` and, per image, from
the ``rights`` of each position's object in ``metadata`` (the OBELICS form). Rights rejections
are summed over the stages' reasons, and for documents over the images removed from kept
documents.

Cost: each unit counts its own sidecars as it writes them (:func:`sidecar_rights`, on the
worker: one or two columns of the unit's kept records) and finalize adds the units' counts into
``stats.json`` (:func:`merge_rights`, O(units x distinct licences)); a summary then reads that
file only, O(1) in records. A folder written before those counts existed (or resumed from units
that predate them) takes the exact path: one or two columns read per shard, one shard at a
time, O(records) on the driver. Both give the same counts in the same order (first seen, shard
by shard); memory grows with the number of distinct licences, not records.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pyarrow.parquet as pq

from engine.output.folder import OutputFolder

RIGHTS_REASONS = ("tdm_reservation", "iptc_data_mining", "ai_generated", "license")
KINDS = ("licenses", "image_licenses", "ai_generated", "images_removed")


def sidecar_rights(paths: Iterable[str | Path]) -> dict[str, dict[str, int]]:
    """Counts of the kept records of the Parquet sidecars ``paths`` (in order): ``licenses``,
    ``image_licenses``, ``ai_generated``, ``images_removed``, each in first-seen order so that
    counts added shard by shard keep the order of one pass over every shard."""
    licenses: Counter = Counter()
    image_licenses: Counter = Counter()
    ai: Counter = Counter()
    removed: Counter = Counter()
    for path in paths:
        names = pq.read_schema(path).names
        if "license" in names:
            cols = [c for c in ("license", "ai_generated") if c in names]
            table = pq.read_table(path, columns=cols)
            licenses.update(x or "none" for x in table.column("license").to_pylist())
            if "ai_generated" in cols:
                ai.update(_flag(x) for x in table.column("ai_generated").to_pylist())
        elif "general_metadata" in names:  # documents, OBELICS form
            table = pq.read_table(path, columns=["general_metadata", "metadata"])
            for general, positions in zip(table.column("general_metadata").to_pylist(),
                                          table.column("metadata").to_pylist(), strict=True):
                meta = json.loads(general or "{}")
                if "rights" not in meta:
                    continue
                licenses[(meta.get("rights") or {}).get("license") or "none"] += 1
                for entry in json.loads(positions or "[]"):
                    rights = (entry or {}).get("rights")
                    if rights is not None:
                        image_licenses[rights.get("license") or "none"] += 1
                        ai[_flag(rights.get("ai_generated"))] += 1
                removed.update(r.get("reason") for r in meta.get("removed_images") or []
                               if r.get("reason") in RIGHTS_REASONS)
    return {"licenses": dict(licenses), "image_licenses": dict(image_licenses),
            "ai_generated": dict(ai), "images_removed": dict(removed)}


def merge_rights(total: dict[str, dict[str, int]] | None,
                 part: dict[str, dict[str, int]] | None) -> dict | None:
    """Add ``part`` into ``total`` (both as :func:`sidecar_rights` gives) and return ``total``;
    keys new to ``total`` go last, so merging units in order keeps the first-seen order. None once
    either is None: a unit finished by a loomery that did not count its rights (a resumed run),
    whose records merged counts would miss."""
    if total is None or part is None:
        return None
    for kind in KINDS:
        counts = total.setdefault(kind, {})
        for key, n in part.get(kind, {}).items():
            counts[key] = counts.get(key, 0) + int(n)
    return total


def rights_summary(out_dir: str | Path, *, exact: bool = False) -> dict:
    """``licenses`` (id -> kept records), ``image_licenses`` (documents: id -> kept images),
    ``ai_generated`` (true/false/unknown -> kept images), ``rejected`` (reason -> records
    rejected) and ``images_removed`` (documents: reason -> images removed).

    From the counts the run merged into ``stats.json`` where it has them, else (or with
    ``exact``) from every sidecar; the counts are exact either way."""
    folder = OutputFolder(out_dir)
    counts = None if exact else folder.stats.get("rights")
    if counts is None:
        counts = sidecar_rights(folder.path / shard["parquet"] for shard in folder.shards
                                if shard.get("parquet"))
    rejected: Counter = Counter()
    for stage in folder.manifest.get("stages", {}).values():
        for reason, n in (stage.get("reasons") or {}).items():
            if reason in RIGHTS_REASONS:
                rejected[reason] += int(n)
    return {"licenses": dict(Counter(counts["licenses"]).most_common()),
            "image_licenses": dict(Counter(counts["image_licenses"]).most_common()),
            "ai_generated": dict(counts["ai_generated"]), "rejected": dict(rejected),
            "images_removed": dict(counts["images_removed"])}


def _flag(value) -> str:
    return "unknown" if value is None else str(bool(value)).lower()


def counts_text(counts: dict) -> str:
    """``"a 3, b 1"``: counts as a readable list (``none`` when empty)."""
    return ", ".join(f"{k} {v:,}" for k, v in counts.items()) or "none"


def rights_lines(summary: dict) -> list[str]:
    """Plain-text lines for ``loomery stats``."""
    lines = [f"licences: {counts_text(summary['licenses'])}"]
    if summary["image_licenses"]:
        lines.append(f"image licences: {counts_text(summary['image_licenses'])}")
    lines.append(f"ai_generated: {counts_text(summary['ai_generated'])}")
    lines.append(f"rights rejections: {counts_text(summary['rejected'])}")
    if summary["images_removed"]:
        lines.append(f"rights image removals: {counts_text(summary['images_removed'])}")
    return lines


def rights_markdown(out_dir: str | Path) -> str:
    """The dataset card's "Licences and rights" section."""
    summary = rights_summary(out_dir)
    lines = ["## Licences and rights", "",
             "Per record, loomery stores the licence it found (`license`, a lower-case SPDX-style "
             "id, with its evidence), whether the image is AI-generated (`ai_generated`, from IPTC "
             "Digital Source Type and C2PA) and the TDMRep and IPTC data-mining evidence checked.",
             "", "| licence | kept records |", "|---|---|"]
    lines += [f"| {k} | {v:,} |" for k, v in summary["licenses"].items()]
    if summary["image_licenses"]:
        lines += ["", "| image licence | kept images |", "|---|---|"]
        lines += [f"| {k} | {v:,} |" for k, v in summary["image_licenses"].items()]
    lines += ["", f"- AI-generated: {counts_text(summary['ai_generated'])}",
              f"- rejected for rights: {counts_text(summary['rejected'])}"]
    if summary["images_removed"]:
        lines.append(f"- images removed for rights: {counts_text(summary['images_removed'])}")
    return "\n".join(lines) + "\n"
