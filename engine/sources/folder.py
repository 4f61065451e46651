"""A folder of images with sidecar ``.txt`` captions, read as pair records."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Any

import fsspec
import pyarrow as pa

from engine.sources.base import Source, Unit, cut_units, expand_paths
from engine.sources.identity import relative_names
from engine.sources.samples import IMAGE_EXTENSIONS, LooseSample, pairs_from_samples

LISTING = "folder-listing"  # the pseudo-path of the single listing all units index into


class FolderSource(Source):
    """Pair records from image files and their ``name.txt`` sidecar captions (same stem).

    A ``.txt`` with no image beside it is a record too, rejected as ``missing_image``; an image
    with no ``.txt`` has no caption (the caption filters decide about it).
    """

    kind = "pairs"

    def __init__(self, inputs: Sequence[str]):
        self.inputs = list(inputs)
        files = expand_paths(self.inputs, tuple("." + e for e in IMAGE_EXTENSIONS) + (".txt",))
        stems: dict[str, dict[str, str]] = {}
        for path in files:
            stem, ext = posixpath.splitext(path)
            stems.setdefault(stem, {})[ext.lower().lstrip(".")] = path
        self._samples = [stems[s] for s in sorted(stems)]
        if not self._samples:
            raise FileNotFoundError(f"no images or captions in {self.inputs}")
        self._names = relative_names(sorted(files))

    def plan(self, unit_size: int) -> list[Unit]:
        return cut_units([(LISTING, len(self._samples))], unit_size)

    def read(self, unit: Unit) -> pa.Table:
        return pairs_from_samples([self._load(f) for f in self._samples[unit.start : unit.stop]])

    def _load(self, files: dict[str, str]) -> LooseSample:
        image_ext = next((e for e in IMAGE_EXTENSIONS if e in files), None)
        anchor = files[image_ext] if image_ext else files["txt"]
        sample = LooseSample(identity=self._names[anchor], image_ext=image_ext)
        try:
            if image_ext:
                with fsspec.open(files[image_ext], "rb") as f:
                    sample.image = f.read()
            if "txt" in files:
                with fsspec.open(files["txt"], "rb") as f:
                    sample.caption = f.read()
        except OSError as e:
            sample.reason, sample.detail = "unreadable_file", f"{type(e).__name__}: {e}"
        return sample

    def config(self) -> dict[str, Any]:
        return {**super().config(), "inputs": self.inputs, "samples": len(self._samples)}
