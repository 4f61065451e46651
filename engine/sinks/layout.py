"""Where a finished output's files live: one place for the runner, reshard, verify, card, loader.

    OUT/shards/train-NNNNN.tar        WebDataset tars, and nothing a WebDataset reader would open
    OUT/shards/__len__                total samples (open_clip's count file; readers skip ``_`` names)
    OUT/metadata/train-NNNNN.parquet  the same samples' columns, no payload bytes
    OUT/metadata/train-NNNNN_stats.json  img2dataset-style per-shard stats
    OUT/metadata/sizes.json           {"train-NNNNN.tar": samples}: the webdataset/DataComp table

Why the split: ``ray.data.read_webdataset(folder)`` and ``datasets.load_dataset("webdataset",
data_dir=folder)`` open every file of the folder as a tar, except names starting with ``.``/``_``
(Ray) or ``.`` (datasets). open_clip reads its sample count from ``sizes.json`` or ``__len__``
beside the tars; only ``__len__`` is skipped by Ray, and datasets takes only the files named for
its ``train`` split (``train-*``) when any are. So the tars are named ``train-NNNNN.tar`` and the
per-shard counts (sizes.json, stats, Parquet) sit in the sibling ``metadata/`` folder, whose
path DataComp's resharder takes as ``--shard-table ../metadata/sizes.json``.
"""

from __future__ import annotations

SHARDS = "shards"
METADATA = "metadata"
SIZES = "sizes.json"
LENGTH = "__len__"
STEM = "train-{index:05d}"


def shard_stem(index: int) -> str:
    """The file stem of shard ``index`` (``train-00000``)."""
    return STEM.format(index=index)


def tar_name(index: int) -> str:
    """The tar of shard ``index``, relative to the output folder."""
    return f"{SHARDS}/{shard_stem(index)}.tar"


def parquet_name(index: int) -> str:
    """The Parquet sidecar of shard ``index``, relative to the output folder."""
    return f"{METADATA}/{shard_stem(index)}.parquet"


def stats_name(tar: str) -> str:
    """The img2dataset-style stats file of the shard whose tar is ``tar`` (relative name)."""
    stem = tar.rsplit("/", 1)[-1].removesuffix(".tar")
    return f"{METADATA}/{stem}_stats.json"
