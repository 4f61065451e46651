"""WebDataset tar shards read as pair records."""

from __future__ import annotations

import tarfile
from collections.abc import Sequence
from typing import Any

import fsspec
import pyarrow as pa

from engine.keys import split_member
from engine.sources.base import Source, Unit, cut_byte_ranges, expand_paths
from engine.sources.identity import relative_names
from engine.sources.samples import IMAGE_EXTENSIONS, LooseSample, pairs_from_samples

BROKEN_TAIL = "__broken_tail__"


class WebDatasetSource(Source):
    """Pair records from WebDataset tars: ``{key}.jpg|png|...``, ``{key}.txt``, ``{key}.json``.

    Planning reads no tar: each tar is one unit (a tar has no index, and a reader starting
    mid-file cannot tell a member header from image bytes), read in one streaming pass; shards
    are the natural grain of WebDataset data, whatever ``unit_size``. ``sample_bytes`` (bytes per
    sample, a guess) only estimates a unit's records from its size.

    A tar that breaks part way yields the samples before the break and one extra record for the
    unreadable rest (``corrupt_tar``), so the damage is accounted for.
    """

    kind = "pairs"

    def __init__(self, inputs: Sequence[str], *, caption_ext: str = "txt", sample_bytes: int = 100_000):
        self.inputs = list(inputs)
        self.caption_ext = caption_ext
        self.sample_bytes = sample_bytes
        self._paths = expand_paths(self.inputs, (".tar", ".tar.gz", ".tgz"))
        if not self._paths:
            raise FileNotFoundError(f"no .tar files in {self.inputs}")
        self._names = relative_names(self._paths)

    def plan(self, unit_size: int) -> list[Unit]:
        """One unit per tar, from its size; opens none."""
        sizes = [(p, fsspec.core.url_to_fs(p)[0].size(p)) for p in self._paths]
        return cut_byte_ranges([(p, size, max(size, 1)) for p, size in sizes], self.sample_bytes)

    def read(self, unit: Unit) -> pa.Table:
        name = self._names[unit.path]
        samples: dict[str, LooseSample] = {}
        try:
            with fsspec.open(unit.path, "rb") as f, tarfile.open(fileobj=f, mode="r|*") as tar:
                for member in tar:
                    if not member.isfile():
                        continue
                    key, ext = split_member(member.name)
                    ext = ext.lower()
                    sample = samples.setdefault(key, LooseSample(identity=f"{name}#{key}"))
                    data = tar.extractfile(member).read()
                    if ext in IMAGE_EXTENSIONS and sample.image is None:
                        sample.image, sample.image_ext = data, ext
                    elif ext == self.caption_ext:
                        sample.caption = data
                    elif ext == "json":
                        sample.meta = data
        except (tarfile.TarError, EOFError, OSError, ValueError) as e:
            tail = LooseSample(identity=f"{name}#{BROKEN_TAIL}", reason="corrupt_tar",
                               detail=f"{type(e).__name__}: {e}")
            samples[BROKEN_TAIL] = tail
        return pairs_from_samples(list(samples.values()))

    def config(self) -> dict[str, Any]:
        return {**super().config(), "inputs": self.inputs, "files": len(self._paths),
                "sample_bytes": self.sample_bytes}
