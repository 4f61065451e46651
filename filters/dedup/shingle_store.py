"""Texts' shingle sets kept once per text in a folder, for exact verification of text pairs.

Carrying a text's shingle set in each of its band rows costs ``bands`` copies of it in the
signatures (16 at a 0.8 threshold). With a store, ``signature`` saves each batch's sets once
(``FOLDER/FIRST_SEQ/``: the texts' seqs, offsets and distinct sorted uint32 hashes, as plain
.npy files) and the band rows carry only the text's seq; ``decide`` maps the files and reads
only the texts it checks. The folder must be one every worker can read (a local run's disk,
shared storage on a cluster). A batch saved again (a rerun unit) is the same and is skipped.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import numpy as np


def distinct_sets(hv: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values, sizes): each text's sorted distinct hashes end to end (uint32), and how many
    each text has. All texts in one sort."""
    text = np.repeat(np.arange(len(counts), dtype=np.uint64), counts)
    keys = np.sort((text << np.uint64(32)) | hv.astype(np.uint64))
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
    values = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return values, np.bincount((keys >> np.uint64(32)).astype(np.int64), minlength=len(counts))


class ShingleStore:
    """Shingle sets by text seq under ``folder``."""

    def __init__(self, folder: str):
        self.folder = str(folder)
        self._starts: np.ndarray | None = None  # first seq of each saved batch (read once)
        self._maps: dict[int, dict[str, np.ndarray]] = {}

    def __getstate__(self) -> dict:
        return {"folder": self.folder}  # the maps are per process

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["folder"])

    def save(self, seqs: np.ndarray, hv: np.ndarray, counts: np.ndarray) -> None:
        """Save the sets of texts numbered ``seqs`` (ascending), whose hashes are ``hv`` cut by
        ``counts``; texts without shingles are left out."""
        keep = counts > 0
        if not keep.any():
            return
        values, sizes = distinct_sets(hv, counts)
        path = Path(self.folder) / f"{int(seqs[keep][0]):020d}"
        if path.exists():
            return
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        tmp.mkdir(parents=True)
        np.save(tmp / "seqs.npy", np.asarray(seqs, np.int64)[keep])
        np.save(tmp / "offsets.npy", np.r_[0, np.cumsum(sizes[keep])].astype(np.int64))
        np.save(tmp / "hashes.npy", values)
        try:
            os.rename(tmp, path)
        except OSError:  # another attempt of this batch published it first
            shutil.rmtree(tmp, ignore_errors=True)

    def jaccard(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Exact Jaccard similarity of the texts numbered ``a[i]`` and ``b[i]``."""
        out = np.empty(len(a))
        for i, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
            both = np.concatenate((self._set(x), self._set(y)))
            both.sort()
            inter = np.count_nonzero(both[1:] == both[:-1])  # each set holds distinct hashes
            out[i] = inter / (len(both) - inter)
        return out

    def _set(self, seq: int) -> np.ndarray:
        if self._starts is None:
            self._starts = np.array(sorted(int(p.name) for p in Path(self.folder).iterdir()
                                           if not p.name.startswith(".")), np.int64)
        start = int(self._starts[np.searchsorted(self._starts, seq, side="right") - 1])
        arrays = self._maps.get(start)
        if arrays is None:
            folder = Path(self.folder) / f"{start:020d}"
            arrays = {n: np.load(folder / f"{n}.npy", mmap_mode="r") for n in ("seqs", "offsets", "hashes")}
            self._maps[start] = arrays
        row = int(np.searchsorted(arrays["seqs"], seq))
        return np.asarray(arrays["hashes"][arrays["offsets"][row]:arrays["offsets"][row + 1]])
