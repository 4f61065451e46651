"""The rights filters. Each reads evidence stored upstream and decides, for pairs (columns of
filters/provenance/pair_columns.py) and for documents (``metadata.rights`` for the page, and
``metadata.image_info[i].rights`` for the image at position i, which is removed on its own).
"""

from __future__ import annotations

import fnmatch
import json

import pyarrow as pa

from engine.consent.image_rights import DMI_PROHIBITING
from engine.stage import Filter
from filters.documents.positions import apply_removals, image_positions


def is_documents(batch: pa.Table) -> bool:
    return "texts" in batch.schema.names and "metadata" in batch.schema.names


def _metas(batch: pa.Table) -> list[dict]:
    return [json.loads(m or "{}") for m in batch.column("metadata").to_pylist()]


def _image_rights(row: dict, position: int) -> dict:
    info = json.loads(row["metadata"] or "{}").get("image_info") or []
    entry = info[position] if position < len(info) else None
    return (entry or {}).get("rights") or {}


def _remove_images(batch: pa.Table, stage: str, judge) -> pa.Table:
    """Remove each image position for which ``judge(rights) -> (reason, detail) | None``."""
    def decide(row: dict) -> dict:
        plan = {}
        for p in image_positions(row):
            found = judge(_image_rights(row, p))
            if found:
                plan[p] = found
        return plan
    return apply_removals(batch, decide, stage)


class TdmReservation(Filter):
    """Reject records whose TDMRep sources reserve text-and-data mining (reason
    ``tdm_reservation``, the TDMRep lines as detail). Pairs: the fetcher already refuses a
    reserved image (``respect_tdmrep``); this filter reads the ``tdm`` evidence of documents:
    the archived HTTP headers and the page's meta tags."""

    name = "tdm_reservation"

    def __call__(self, batch: pa.Table) -> pa.Table:
        if not is_documents(batch):
            return self.verdict(batch, [None] * batch.num_rows)
        rights = [m.get("rights") or {} for m in _metas(batch)]
        reasons = ["tdm_reservation" if r.get("tdm_reserved") else None for r in rights]
        details = [r.get("tdm") if reason else None for r, reason in zip(rights, reasons, strict=True)]
        return self.verdict(batch, reasons, details=details)


class IptcDataMining(Filter):
    """Reject images whose XMP ``plus:DataMining`` prohibits mining for AI (reason
    ``iptc_data_mining``); in documents the image alone is removed."""

    name = "iptc_data_mining"

    def __call__(self, batch: pa.Table) -> pa.Table:
        if is_documents(batch):
            batch = _remove_images(batch, self.name, lambda r: (
                ("iptc_data_mining", r.get("data_mining")) if r.get("data_mining_prohibited") else None))
            return self.verdict(batch, [None] * batch.num_rows)
        codes = batch.column("data_mining").to_pylist()
        reasons = ["iptc_data_mining" if c in DMI_PROHIBITING else None for c in codes]
        return self.verdict(batch, reasons, details=[c if r else None for c, r in zip(codes, reasons, strict=True)])


class AiGenerated(Filter):
    """AI-generated images (IPTC Digital Source Type, C2PA): ``mode="keep"`` (the default)
    keeps them, flagged in ``ai_generated``; ``mode="reject"`` rejects them (reason
    ``ai_generated``; in documents the image alone is removed)."""

    name = "ai_generated"
    MODES = ("keep", "reject")

    def __init__(self, mode: str = "keep", **kwargs):
        super().__init__(**kwargs)
        if mode not in self.MODES:
            raise ValueError(f"ai_generated={mode!r} is not one of {', '.join(self.MODES)}")
        self.mode = mode

    def __call__(self, batch: pa.Table) -> pa.Table:
        if self.mode == "keep":
            return self.verdict(batch, [None] * batch.num_rows)
        if is_documents(batch):
            batch = _remove_images(batch, self.name, lambda r: (
                ("ai_generated", _why(r)) if r.get("ai_generated") else None))
            return self.verdict(batch, [None] * batch.num_rows)
        flags = batch.column("ai_generated").to_pylist()
        evidence = batch.column("rights_evidence").to_pylist()
        reasons = ["ai_generated" if f else None for f in flags]
        details = [_why(json.loads(e or "{}")) if r else None
                   for e, r in zip(evidence, reasons, strict=True)]
        return self.verdict(batch, reasons, details=details)


def _why(rights: dict) -> str | None:
    evidence = rights.get("evidence", rights)
    parts = [str(v) for k, v in (evidence.get("xmp") or {}).items() if "DigitalSourceType" in k]
    if evidence.get("c2pa"):
        parts.append(str(evidence["c2pa"]))
    return "; ".join(parts)[:500] or None


class LicenseFilter(Filter):
    """Keep only records under a chosen licence (reason ``license``). ``allowed`` holds ids or
    shell patterns (``cc-by-*``, ``cc0-*``); ``none`` admits records with no licence statement.
    Documents are judged by the page's licence; an image with a licence of its own that is not
    allowed is removed from its document."""

    name = "license"

    def __init__(self, allowed: list[str], **kwargs):
        super().__init__(**kwargs)
        if not allowed:
            raise ValueError("LicenseFilter needs at least one allowed licence (or 'none')")
        self.allowed = [a.strip().lower() for a in allowed if a.strip()]

    def admits(self, license_id: str | None) -> bool:
        if license_id is None:
            return "none" in self.allowed
        return any(fnmatch.fnmatchcase(license_id, a) for a in self.allowed)

    def __call__(self, batch: pa.Table) -> pa.Table:
        if is_documents(batch):
            batch = _remove_images(batch, self.name, lambda r: (
                ("license", r.get("license")) if r.get("license") and
                (r.get("evidence") or {}).get("license_from") != "page licence"
                and not self.admits(r.get("license")) else None))
            licenses = [(m.get("rights") or {}).get("license") for m in _metas(batch)]
        else:
            licenses = batch.column("license").to_pylist()
        reasons = [None if self.admits(x) else "license" for x in licenses]
        details = [f"{x or 'no licence found'} not in {','.join(self.allowed)}" if r else None
                   for x, r in zip(licenses, reasons, strict=True)]
        return self.verdict(batch, reasons, details=details)
