"""Record keys: stable hashes of a record's source identity.

The same input always gets the same key, so keys join outputs across runs, phases and shards.
Keys are 24 lowercase hex digits (96 bits) with no dots, as WebDataset sample keys require.
"""

import hashlib
from urllib.parse import urlsplit, urlunsplit


def record_key(identity: str) -> str:
    """Key of the record whose source identity is ``identity`` (a normalized URL, a file#index)."""
    digest = hashlib.blake2b(identity.encode("utf-8", "surrogatepass"), digest_size=12)
    return digest.hexdigest()


def normalize_url(url: str) -> str:
    """The form of ``url`` that identifies a resource: scheme and host lowercased, default port
    and fragment dropped, an empty path made ``/``. Query strings are kept: they select content."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port if parts.port not in (None, {"http": 80, "https": 443}.get(scheme)) else None
    netloc = host if port is None else f"{host}:{port}"
    if parts.username or parts.password:
        netloc = f"{parts.username or ''}{':' + parts.password if parts.password else ''}@{netloc}"
    path = parts.path or ("/" if scheme in ("http", "https") else "")
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def url_key(url: str) -> str:
    """Key of a record identified by its URL."""
    return record_key(normalize_url(url))
