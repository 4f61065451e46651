"""Record keys: stable hashes of a record's source identity, and WebDataset's sample-key rule.

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


def split_member(name: str) -> tuple[str, str]:
    """Split a tar member name into (sample key, extension) by WebDataset's rule: the key is the
    path up to the first dot of the file name, the extension the rest (``run.v2/k.0.jpg`` ->
    ``run.v2/k``, ``0.jpg``), so a dot in a folder name stays in the key. A name without a dot
    gets the extension ``""``.

    The one place this rule lives: the sources, ``loomery verify`` and the output reader use it.
    Written out rather than taken from ``webdataset.tariterators.base_plus_ext`` because
    importing webdataset loads torch, which the runner and its workers do not otherwise need.
    """
    folder, slash, base = name.rpartition("/")
    key, _, ext = base.partition(".")
    return folder + slash + key, ext
