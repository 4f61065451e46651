"""Hash blocklist quarantine: known-bad images and URLs are rejected before anything else runs.

Lists are user-supplied: sha256 and md5 hex digests of image bytes, 64-bit pHashes (16 hex
digits as ``str(imagehash.phash(image))`` writes them, the library such lists are made with;
``filters.dedup.phash`` computes the same bits) matched within a Hamming distance, full URLs
(compared after ``normalize_url``) and domains (a domain also matches its subdomains).

Put this stage first in a chain: the runner hands later stages only live records, and it clears
the ``image`` bytes of every rejected record at once, so a match's bytes reach no later stage,
no shard and no rejects file. The reject record says which list matched (and the pHash
distance) but never the bytes, and this module logs nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa

from engine.keys import normalize_url
from engine.stage import Filter, Resources

LISTS = ("sha256", "md5", "phash", "urls", "domains")


def read_list(path: str | Path) -> list[str]:
    """Entries of a list file: one per line; blank lines and ``#`` comments are skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [ln.split("#", 1)[0].strip() for ln in lines if ln.split("#", 1)[0].strip()]


class Blocklist(Filter):
    """Rejects records whose image or URL is on a blocklist (reason ``blocklist_KIND``).

    Each list is given as entries (any iterable of strings) or as a path to a list file.
    ``image_column`` may hold bytes (pairs) or a list of bytes (documents: any listed image
    rejects the whole document); ``url_column`` likewise a URL or a list of URLs.
    """

    name = "blocklist"
    score_columns = {}

    def __init__(
        self,
        *,
        sha256: Iterable[str] | str | Path = (),
        md5: Iterable[str] | str | Path = (),
        phash: Iterable[str] | str | Path = (),
        urls: Iterable[str] | str | Path = (),
        domains: Iterable[str] | str | Path = (),
        phash_distance: int = 4,
        image_column: str = "image",
        url_column: str = "url",
        batch_size: int = 1024,
        name: str | None = None,
    ):
        super().__init__(name=name, resources=Resources(batch_size=batch_size))
        self._sha256 = {h.lower() for h in _entries(sha256)}
        self._md5 = {h.lower() for h in _entries(md5)}
        self._phash = np.array([_phash_value(h) for h in _entries(phash)], dtype=np.uint64)
        self._urls = {normalize_url(u) for u in _entries(urls)}
        self._domains = {d.lower().strip(".") for d in _entries(domains)}
        self.phash_distance = phash_distance
        self.image_column = image_column
        self.url_column = url_column
        self.list_sizes = (
            f"sha256={len(self._sha256)} md5={len(self._md5)} phash={len(self._phash)} "
            f"urls={len(self._urls)} domains={len(self._domains)}"
        )

    def __call__(self, batch: pa.Table) -> pa.Table:
        n = batch.num_rows
        urls = _column(batch, self.url_column, n)
        images = _column(batch, self.image_column, n)
        # Digests of the bytes as received, when an earlier stage (fetch) resized them since.
        originals = {k: _column(batch, k, n) for k in ("sha256", "md5")} if self.image_column == "image" else None
        reasons: list[str | None] = [None] * n
        scores: list[float | None] = [None] * n
        details: list[str | None] = [None] * n
        for i in range(n):
            digests = {k: v[i] for k, v in originals.items()} if originals else {}
            hit = self._match_urls(urls[i]) or self._match_digests(digests) or self._match_images(images[i])
            if hit is not None:
                reasons[i], scores[i], details[i] = hit
        return self.verdict(batch, reasons, scores=scores, thresholds=float(self.phash_distance), details=details)

    def _match_urls(self, value) -> tuple[str, float | None, str] | None:
        for url in value if isinstance(value, list) else [value]:
            if not url:
                continue
            if self._urls and normalize_url(url) in self._urls:
                return "blocklist_url", None, "url list"
            if self._domains:
                host = (urlsplit(url).hostname or "").lower()
                parts = host.split(".")
                if any(".".join(parts[j:]) in self._domains for j in range(len(parts))):
                    return "blocklist_domain", None, "domain list"
        return None

    def _match_digests(self, digests: dict) -> tuple[str, float | None, str] | None:
        if self._sha256 and (digests.get("sha256") or "").lower() in self._sha256:
            return "blocklist_sha256", None, "sha256 list (bytes as received)"
        if self._md5 and (digests.get("md5") or "").lower() in self._md5:
            return "blocklist_md5", None, "md5 list (bytes as received)"
        return None

    def _match_images(self, value) -> tuple[str, float | None, str] | None:
        items = value if isinstance(value, list) else [value]
        for position, data in enumerate(items):
            if not data:
                continue
            where = f" (image {position})" if isinstance(value, list) else ""
            if self._sha256 and hashlib.sha256(data).hexdigest() in self._sha256:
                return "blocklist_sha256", None, "sha256 list" + where
            if self._md5 and hashlib.md5(data, usedforsecurity=False).hexdigest() in self._md5:
                return "blocklist_md5", None, "md5 list" + where
            if len(self._phash):
                distance = self._phash_distance(data)
                if distance is not None and distance <= self.phash_distance:
                    return "blocklist_phash", float(distance), f"phash list{where}"
        return None

    def _phash_distance(self, data: bytes) -> int | None:
        from filters.dedup.phash import phash_bytes

        value = phash_bytes(data, exact=True)  # imagehash's bits, as lists are written
        if value is None:
            return None
        return int(np.bitwise_count(self._phash ^ np.uint64(value)).min())


def _phash_value(entry: str) -> int:
    if len(entry) != 16 or any(ch not in "0123456789abcdefABCDEF" for ch in entry):
        raise ValueError(f"a pHash entry must be 16 hex digits, got {entry[:40]!r}")
    return int(entry, 16)


def _entries(value: Iterable[str] | str | Path) -> list[str]:
    if isinstance(value, (str, Path)):
        return read_list(value)
    return [v.strip() for v in value if v and v.strip()]


def _column(batch: pa.Table, name: str, n: int) -> list:
    return batch.column(name).to_pylist() if name in batch.column_names else [None] * n
