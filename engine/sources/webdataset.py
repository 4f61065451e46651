"""WebDataset tar shards read as pair records."""

from __future__ import annotations

import tarfile
from collections.abc import Sequence
from typing import Any

import fsspec
import pyarrow as pa

from engine.sources.base import Source, Unit, cut_units, expand_paths
from engine.sources.identity import relative_names
from engine.sources.samples import IMAGE_EXTENSIONS, LooseSample, pairs_from_samples

BROKEN_TAIL = "__broken_tail__"


def _split(name: str) -> tuple[str, str]:
    """WebDataset's split: the key is the path up to the first dot of the file name."""
    folder, _, base = name.rpartition("/")
    stem, _, ext = base.partition(".")
    return (f"{folder}/{stem}" if folder else stem), ext.lower()


def _scan(path: str) -> tuple[list[str], str | None]:
    """Sample keys of a tar in order of first appearance, and the error that cut it short."""
    keys: list[str] = []
    seen: set[str] = set()
    error = None
    try:
        with fsspec.open(path, "rb") as f, tarfile.open(fileobj=f, mode="r|*") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                key, _ = _split(member.name)
                if key not in seen:
                    seen.add(key)
                    keys.append(key)
    except (tarfile.TarError, EOFError, OSError, ValueError) as e:
        error = f"{type(e).__name__}: {e}"
    return keys, error


class WebDatasetSource(Source):
    """Pair records from WebDataset tars: ``{key}.jpg|png|...``, ``{key}.txt``, ``{key}.json``.

    A tar that breaks part way yields the samples before the break and one extra record for the
    unreadable rest (``corrupt_tar``), so the damage is accounted for.
    """

    kind = "pairs"

    def __init__(self, inputs: Sequence[str], *, caption_ext: str = "txt"):
        self.inputs = list(inputs)
        self.caption_ext = caption_ext
        self._paths = expand_paths(self.inputs, (".tar", ".tar.gz", ".tgz"))
        if not self._paths:
            raise FileNotFoundError(f"no .tar files in {self.inputs}")
        self._names = relative_names(self._paths)
        self._keys: dict[str, list[str]] = {}
        self._errors: dict[str, str | None] = {}

    def _sample_keys(self, path: str) -> list[str]:
        if path not in self._keys:
            keys, error = _scan(path)
            self._errors[path] = error
            self._keys[path] = keys + ([BROKEN_TAIL] if error else [])
        return self._keys[path]

    def plan(self, unit_size: int) -> list[Unit]:
        return cut_units([(p, len(self._sample_keys(p))) for p in self._paths], unit_size)

    def read(self, unit: Unit) -> pa.Table:
        wanted = self._sample_keys(unit.path)[unit.start : unit.stop]
        name = self._names[unit.path]
        samples = {k: LooseSample(identity=f"{name}#{k}") for k in wanted}
        try:
            with fsspec.open(unit.path, "rb") as f, tarfile.open(fileobj=f, mode="r|*") as tar:
                for member in tar:
                    key, ext = _split(member.name)
                    sample = samples.get(key)
                    if sample is None or not member.isfile():
                        continue
                    data = tar.extractfile(member).read()
                    if ext in IMAGE_EXTENSIONS and sample.image is None:
                        sample.image, sample.image_ext = data, ext
                    elif ext == self.caption_ext:
                        sample.caption = data
                    elif ext == "json":
                        sample.meta = data
        except (tarfile.TarError, EOFError, OSError, ValueError):
            pass  # the scan recorded this break as the BROKEN_TAIL record below
        if BROKEN_TAIL in samples:
            tail = samples[BROKEN_TAIL]
            tail.reason = "corrupt_tar"
            tail.detail = self._errors.get(unit.path) or "tar ends in an unreadable member"
        return pairs_from_samples([samples[k] for k in wanted])

    def config(self) -> dict[str, Any]:
        return {**super().config(), "inputs": self.inputs, "files": len(self._paths)}
