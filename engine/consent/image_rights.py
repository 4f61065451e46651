"""What an image's own bytes say about its use: the IPTC "Data Mining" field, whether it is
AI-generated (IPTC Digital Source Type, C2PA) and its licence (XMP rights fields).

Read from the ORIGINAL bytes, before any re-encoding, which drops every one of these fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from engine.consent.c2pa_read import read_c2pa
from engine.consent.licenses import normalize_license
from engine.consent.source_type import AI_SOURCE_TYPES, source_type_code
from engine.consent.xmp import read_xmp

# The PLUS "Data Mining" vocabulary (http://ns.useplus.org/ldf/vocab/DMI-*). Every value but
# these two restricts data mining for AI training; SEECONSTRAINT's conditions are free text a
# machine cannot check, so it is taken as prohibiting too.
DMI_ALLOWING = frozenset({"DMI-ALLOWED", "DMI-UNSPECIFIED"})
DMI_PROHIBITING = frozenset({
    "DMI-PROHIBITED",
    "DMI-PROHIBITED-AIMLTRAINING",
    "DMI-PROHIBITED-GENAIMLTRAINING",
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
    "DMI-PROHIBITED-SEECONSTRAINT",
})
# the XMP licence fields, most specific first
_LICENSE_FIELDS = ("cc:license", "xmpRights:WebStatement", "xmpRights:UsageTerms")


@dataclass
class ImageRights:
    """``data_mining``: the PLUS code found (None: none); ``data_mining_prohibited``: True,
    False or None (unset or unknown code); ``ai_generated``: True/False/None; ``license``: a
    lower-case SPDX-style id or None; ``evidence``: the raw values and where they were."""

    data_mining: str | None = None
    data_mining_prohibited: bool | None = None
    ai_generated: bool | None = None
    license: str | None = None
    evidence: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def dmi_code(value: str) -> str:
    """The PLUS code of a ``plus:DataMining`` value (a vocabulary URI or a bare code)."""
    return value.strip().rstrip("/").rsplit("/", 1)[-1].upper()


def image_rights(data: bytes) -> ImageRights:
    """Read the XMP and any C2PA manifest of ``data`` (original bytes)."""
    out = ImageRights()
    xmp = read_xmp(data)
    if xmp.error:
        out.evidence["xmp_error"] = xmp.error
    if xmp.values:
        out.evidence["xmp"] = {k: v[:4] for k, v in xmp.values.items()}
    absent = [] if xmp.present else ["xmp"]  # what was checked and not found
    mining = xmp.first("plus:DataMining")
    if mining:
        out.data_mining = dmi_code(mining)
        out.data_mining_prohibited = (True if out.data_mining in DMI_PROHIBITING else
                                      False if out.data_mining in DMI_ALLOWING else None)
    source_types = [source_type_code(v) for v in xmp.values.get("Iptc4xmpExt:DigitalSourceType", [])]
    if source_types:
        out.ai_generated = any(t in AI_SOURCE_TYPES for t in source_types)
    c2pa = read_c2pa(data)
    if not c2pa.present:
        absent.append("c2pa")
    if absent:
        out.evidence["absent"] = absent
    if c2pa.present:
        out.evidence["c2pa"] = c2pa.evidence
        if c2pa.ai_generated is not None:
            out.ai_generated = bool(out.ai_generated) or c2pa.ai_generated
    for name in _LICENSE_FIELDS:
        for value in xmp.values.get(name, []):
            found = normalize_license(value)
            if found and found != "other":
                out.license = found
                out.evidence["license_from"] = name
                return out
    if any(xmp.values.get(n) for n in _LICENSE_FIELDS):
        out.license = "other"
        out.evidence["license_from"] = next(n for n in _LICENSE_FIELDS if xmp.values.get(n))
    return out
