"""Consent, licence and provenance signals of 2026 (DESIGN invariant 5): TDMRep, the IPTC
"Data Mining" and digital-source-type fields of image XMP, C2PA manifests, licence statements
in HTML and XMP, and the scrubbing of personal metadata from stored images.

Each module parses one signal and returns what it found together with the evidence (the raw
value and where it was), so that a record can carry what was checked.
"""
