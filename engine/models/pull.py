"""Prefetch model weights into the loomery cache, for clusters with no route to a model hub.

``pull(spec)`` copies a model's files into ``cache_dir()/NAME`` (atomically: a temporary folder
renamed into place) and records where they came from in ``loomery-source.json``. The files come
either from a local folder that mirrors a hub (``origin``: ``ORIGIN/ORG/REPO`` or ``ORIGIN/NAME``)
or, with no origin, from the Hugging Face hub itself through ``huggingface_hub``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from engine.models.loaders import SOURCE_FILE, hub_repo
from engine.models.registry import ModelSpec, cache_dir


class PullError(RuntimeError):
    """A model could not be pulled; the message says why and where it looked."""


def pull(spec: ModelSpec, *, dest_root: Path | None = None, origin: Path | None = None) -> str:
    """Fetch ``spec``'s weights into ``dest_root/NAME``; returns a line saying what happened."""
    if spec.random_init:
        return f"{spec.name}: random weights built from its config; nothing to pull"
    if spec.kind == "bundled":
        return f"{spec.name}: ships inside its Python package ({spec.source}); nothing to pull"
    root = Path(dest_root) if dest_root is not None else cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    dest = root / spec.name
    repo = hub_repo(spec)
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.name}.", dir=root))
    try:
        if origin is not None:
            found = _find_in_origin(spec, repo, Path(origin))
            shutil.copytree(found, tmp, dirs_exist_ok=True)
            where = str(found)
        elif spec.source.startswith("dir:"):
            shutil.copytree(Path(spec.source[4:]).expanduser(), tmp, dirs_exist_ok=True)
            where = spec.source
        elif repo is not None:
            _download(repo, spec.revision, tmp)
            where = f"hf:{repo}"
        else:
            raise PullError(f"{spec.name}: source {spec.source!r} names no place to pull from")
        record = {"name": spec.name, "source": spec.source, "revision": spec.revision, "from": where}
        (tmp / SOURCE_FILE).write_text(json.dumps(record, indent=1) + "\n")
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    files = sum(1 for p in dest.rglob("*") if p.is_file()) - 1
    return f"{spec.name}: {files} file(s) from {where} -> {dest}"


def _find_in_origin(spec: ModelSpec, repo: str | None, origin: Path) -> Path:
    candidates = []
    if repo is not None:
        candidates.append(origin / repo)
    candidates.append(origin / spec.name)
    for path in candidates:
        if path.is_dir() and any(path.iterdir()):
            return path
    tried = ", ".join(str(p) for p in candidates)
    raise PullError(f"{spec.name}: not found in {origin} (tried {tried})")


def _download(repo: str, revision: str | None, folder: Path) -> None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError as err:
        raise PullError("pulling from the hub needs the huggingface_hub package") from err
    try:
        snapshot_download(repo, revision=revision, local_dir=str(folder))
    except Exception as err:  # the hub client raises many types; all mean "could not fetch"
        raise PullError(f"could not fetch {repo}@{revision or 'main'}: {err}") from err
