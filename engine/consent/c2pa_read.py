"""C2PA manifests in images: found by their container (a JUMBF ``c2pa`` box in JPEG APP11
segments, a PNG ``caBX`` chunk, a RIFF/WebP ``C2PA`` chunk), then read with ``c2pa-python``
(the Content Authenticity Initiative's own library) with remote fetching off.

The cheap container scan runs first, so the library only sees images that carry a manifest.
Where the library is not installed or cannot read one, the manifest's presence is still
recorded and ``ai_generated`` stays unknown: the evidence says so.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

from engine.consent.containers import container_of, jpeg_segments, png_chunks, riff_chunks
from engine.consent.source_type import AI_SOURCE_TYPES, source_type_code

_MIME = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@dataclass(frozen=True)
class C2paFinding:
    """``present``: a manifest container was found; ``ai_generated``: what the active
    manifest's actions say (None when unread or silent); ``evidence``: what was seen."""

    present: bool
    ai_generated: bool | None = None
    evidence: str | None = None


def manifest_container(data: bytes) -> tuple[str, str] | None:
    """(format, where) of an embedded C2PA manifest store, or None. Walks segment/chunk
    headers only (cost linear in the number of segments, not in the pixel data)."""
    kind = container_of(data)
    if kind == "jpeg":
        for marker, start, end in jpeg_segments(data):
            if marker == 0xEB and b"jumb" in data[start + 4:end] and b"c2pa" in data[start + 4:end]:
                return "jpeg", "JUMBF c2pa box in an APP11 segment"
    elif kind == "png":
        if any(chunk == b"caBX" for chunk, _, _ in png_chunks(data)):
            return "png", "caBX chunk"
    elif kind == "webp" and any(chunk == b"C2PA" for chunk, _, _ in riff_chunks(data)):
        return "webp", "C2PA chunk"
    return None


def read_c2pa(data: bytes) -> C2paFinding:
    """What the C2PA manifest of ``data`` (original bytes) says about how it was made."""
    found = manifest_container(data)
    if found is None:
        return C2paFinding(present=False)
    fmt, where = found
    try:
        store = _read_store(data, _MIME[fmt])
    except ImportError:
        return C2paFinding(True, None, f"c2pa manifest present ({where}); not read: c2pa-python "
                                       "is not installed")
    except Exception as exc:  # noqa: BLE001 - a malformed manifest is evidence, not a crash
        return C2paFinding(True, None, f"c2pa manifest present ({where}); unreadable: "
                                       f"{type(exc).__name__}: {exc}"[:300])
    if store is None:
        return C2paFinding(True, None, f"c2pa container present ({where}); no manifest store")
    return _judge(store, where)


def _read_store(data: bytes, mime: str) -> dict | None:
    import c2pa  # optional at import time: its native library is large

    reader = c2pa.Reader.try_create(mime, io.BytesIO(data), context=_context())
    if reader is None:
        return None
    try:
        store = json.loads(reader.json())
        store["_validation_state"] = str(reader.get_validation_state())
        return store
    finally:
        reader.close()


_CONTEXT = None


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        import c2pa

        settings = c2pa.Settings()
        # offline by design: never fetch a remote manifest or a certificate's status
        settings.set("verify.remote_manifest_fetch", "false")
        settings.set("verify.ocsp_fetch", "false")
        _CONTEXT = c2pa.Context(settings)
    return _CONTEXT


def _judge(store: dict, where: str) -> C2paFinding:
    label = store.get("active_manifest")
    manifest = (store.get("manifests") or {}).get(label) or {}
    types = []
    for assertion in manifest.get("assertions") or []:
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in (assertion.get("data") or {}).get("actions") or []:
                if action.get("digitalSourceType"):
                    types.append(source_type_code(action["digitalSourceType"]))
    signer = (manifest.get("signature_info") or {}).get("issuer")
    state = store.get("_validation_state")
    head = f"c2pa manifest {label} ({where}; signed by {signer}; validation {state})"
    if not types:
        return C2paFinding(True, None, f"{head}: no digitalSourceType")
    ai = any(t in AI_SOURCE_TYPES for t in types)
    return C2paFinding(True, ai, f"{head}: digitalSourceType={','.join(types)}")
