"""The training loader: a webdataset pipeline over a run's shards that a torch DataLoader reads.

    from torch.utils.data import DataLoader
    from engine.output.loader import CaptionPolicy, training_dataset, collate

    ds = training_dataset("OUT", caption=CaptionPolicy("mix", ("dense",), p=0.8, seed=1),
                          filters=["crosscheck_rate<=0.2"], shuffle_buffer=2000, seed=1,
                          rank=rank, world_size=world_size, transform=preprocess)
    for epoch in range(epochs):
        ds.set_epoch(epoch)
        for batch in DataLoader(ds, batch_size=256, num_workers=8, collate_fn=collate):
            ...

Pipeline, per DataLoader worker: shard list (the manifest's order) -> seeded shard shuffle (the
same on every node and worker) -> split across nodes then workers -> tar reading -> score
filters on the stored JSON (no image decoded for a skipped sample) -> seeded sample shuffle
buffer -> caption policy -> image decoding -> ``transform``. Each shard goes to exactly one
(rank, worker) part, so one epoch yields every sample that passes the filters exactly once across
all workers and nodes. When there are fewer shards than parts, every part reads every shard and
keeps one sample in ``parts`` instead (correct, but each part reads all bytes): reshard with
``loomery reshard`` to at least ``world_size * num_workers`` shards to avoid it.

A filter names a column of the output: naming one that no stage wrote is an error (the columns
are read from the Parquet sidecars' schema, footers only). A sample whose value is null is
dropped by a filter (``keep_missing`` keeps it); how many that drops is counted from the
sidecars' statistics and logged when the dataset is built (``ds.null_drops``).

Ray Train reads the same shards through Ray Data instead: see :func:`ray_dataset`.
"""

from __future__ import annotations

import io
import json
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import webdataset as wds
from PIL import Image
from torch.utils.data import IterableDataset, get_worker_info

from engine.output.folder import IMAGE_EXTENSIONS, OutputFolder, Sample
from engine.output.loader_checks import check_filters
from engine.output.loader_policy import CaptionPolicy, ScoreFilter, as_filters

__all__ = ["CaptionPolicy", "ScoreFilter", "TrainingDataset", "collate", "decode_image",
           "ray_dataset", "shard_urls", "training_dataset"]


def shard_urls(source: str | Path | list) -> list[str]:
    """Shard paths of an output folder (manifest order), or the given list of tar paths/URLs."""
    if isinstance(source, (list, tuple)):
        return [str(s) for s in source]
    path = Path(source)
    if path.is_dir():
        return [str(p) for p in OutputFolder(path).shard_paths()]
    return [str(source)]


def decode_image(data: bytes, mode: str | None):
    """Decode image bytes: ``"pil"`` (RGB PIL image), ``"rgb8"`` (HWC uint8 numpy),
    ``"torch"`` (CHW uint8 tensor) or None (bytes unchanged)."""
    if mode is None:
        return data
    image = Image.open(io.BytesIO(data)).convert("RGB")
    if mode == "pil":
        return image
    array = np.asarray(image)
    if mode == "rgb8":
        return array
    if mode == "torch":
        import torch

        return torch.from_numpy(array.copy()).permute(2, 0, 1)
    raise ValueError(f"unknown decode mode {mode!r}: use pil, rgb8, torch or None")


class TrainingDataset(IterableDataset):
    """An iterable dataset of training samples; build it with :func:`training_dataset`.

    Yields dicts: ``key``, ``image`` (decoded, then ``transform``-ed), ``caption``,
    ``caption_source`` (``"alt"`` or the synthetic variant), ``meta`` (the stored JSON). A document
    sample yields ``texts`` and ``images`` (lists in reading order) instead of image and caption.
    """

    def __init__(self, urls: list[str], *, caption: CaptionPolicy, filters: tuple[ScoreFilter, ...],
                 shuffle_shards: bool, shuffle_buffer: int, seed: int, decode: str | None,
                 transform: Callable | None, rank: int, world_size: int):
        if not urls:
            raise ValueError("no shards to read")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside world size {world_size}")
        self.urls, self.caption, self.filters = list(urls), caption, filters
        self.shuffle_shards, self.shuffle_buffer, self.seed = shuffle_shards, shuffle_buffer, seed
        self.decode, self.transform = decode, transform
        self.rank, self.world_size = rank, world_size
        self.epoch = 0
        self.null_drops: dict[str, int] = {}  # filter -> samples it drops for a null value

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch: it reseeds shard order, sample shuffle and caption mixing."""
        self.epoch = epoch

    def _part(self) -> tuple[int, int]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info else (0, 1)
        return self.rank * workers + worker, self.world_size * workers

    def _shards(self, part: int, parts: int) -> tuple[list[str], bool]:
        urls = list(self.urls)
        if self.shuffle_shards:
            random.Random(f"{self.seed}:{self.epoch}:shards").shuffle(urls)
        if len(urls) >= parts:
            return urls[part::parts], False
        return urls, True  # too few shards: split by sample instead

    def __iter__(self) -> Iterator[dict]:
        part, parts = self._part()
        urls, by_sample = self._shards(part, parts)
        stream = wds.tarfile_to_samples()(iter([{"url": u} for u in urls]))
        if by_sample:
            stream = (s for i, s in enumerate(stream) if i % parts == part)
        stream = (s for s in stream if self._passes(s))
        if self.shuffle_buffer > 1:
            rng = random.Random(f"{self.seed}:{self.epoch}:{part}:samples")
            stream = wds.shuffle(self.shuffle_buffer, initial=min(self.shuffle_buffer, 100),
                                 rng=rng)(stream)
        for sample in stream:
            out = self._build(sample)
            if out is not None:
                yield out

    def _passes(self, sample: dict) -> bool:
        if not self.filters:
            return True
        meta = sample.setdefault("_meta", _json(sample))
        return all(f(meta) for f in self.filters)

    def _build(self, sample: dict) -> dict | None:
        meta = sample.get("_meta") or _json(sample)
        key = sample["__key__"].rsplit("/", 1)[-1]
        if isinstance(meta.get("texts"), list):
            return self._document(key, meta, sample)
        alt = sample["txt"].decode("utf-8", "replace") if "txt" in sample else meta.get("caption")
        chosen = self.caption.choose(key, meta, alt, self.epoch)
        data = next((sample[e] for e in IMAGE_EXTENSIONS if e in sample), None)
        if chosen is None or data is None:
            return None
        image = decode_image(data, self.decode)
        if self.transform is not None:
            image = self.transform(image)
        return {"key": key, "image": image, "caption": chosen[0], "caption_source": chosen[1],
                "meta": meta}

    def _document(self, key: str, meta: dict, sample: dict) -> dict:
        blobs = _position_images(sample)
        images = []
        for i, text in enumerate(meta["texts"]):
            data = blobs.get(i)
            image = None
            if text is None and data is not None:
                image = decode_image(data, self.decode)
                if self.transform is not None:
                    image = self.transform(image)
            images.append(image)
        return {"key": key, "texts": list(meta["texts"]), "images": images, "meta": meta}


def training_dataset(source, *, caption: CaptionPolicy | str = "alt", filters=(),
                     shuffle_shards: bool = True, shuffle_buffer: int = 1000, seed: int = 0,
                     decode: str | None = "pil", transform: Callable | None = None,
                     rank: int | None = None, world_size: int | None = None) -> TrainingDataset:
    """A :class:`TrainingDataset` over an output folder (or a list of shard paths).

    ``caption``: a :class:`CaptionPolicy` or its string form (``"mix:dense:0.8"``). ``filters``:
    ScoreFilters or strings (``"crosscheck_rate<=0.2"``) applied to the stored scores; on an
    output folder, a filter on a column that no stage wrote raises ValueError, and the samples
    each filter drops for a null value are counted (logged, and kept in ``ds.null_drops``).
    ``rank``/``world_size`` default to torch.distributed's when it is initialised, else to the
    ``RANK``/``WORLD_SIZE`` environment variables, else to a single node.
    """
    if isinstance(caption, str):
        caption = CaptionPolicy.parse(caption, seed=seed)
    if rank is None or world_size is None:
        rank, world_size = _distributed()
    checks = as_filters(filters)
    null_drops = check_filters(source, checks)
    ds = TrainingDataset(shard_urls(source), caption=caption, filters=checks,
                         shuffle_shards=shuffle_shards, shuffle_buffer=shuffle_buffer, seed=seed,
                         decode=decode, transform=transform, rank=rank, world_size=world_size)
    ds.null_drops = null_drops
    return ds


def collate(samples: list[dict]) -> dict:
    """Batch samples into a dict of lists, stacking tensors that share a shape."""
    import torch

    out: dict = {}
    names = dict.fromkeys(name for s in samples for name in s)
    for name in names:
        values = [s.get(name) for s in samples]
        if all(isinstance(v, torch.Tensor) for v in values) and len(
                {tuple(v.shape) for v in values}) == 1:
            out[name] = torch.stack(values)
        else:
            out[name] = values
    return out


def ray_dataset(source, *, caption: CaptionPolicy | str = "alt", filters=(), seed: int = 0,
                decode: bool = False, epoch: int = 0):
    """The Ray Data path for Ray Train: ``ray.data.read_webdataset`` over the shards, with the
    same score filters (checked as in :func:`training_dataset`) and caption policy. Pair rows:
    ``key``, ``image`` (bytes, or an HWC uint8 array with ``decode=True``), ``caption``,
    ``caption_source``. Document rows: ``key``, ``texts`` and ``images`` (lists in reading
    order; bytes or arrays at image positions, None at text positions).

    In a Ray Train loop, pass it as ``datasets={"train": ds}`` and read
    ``ray.train.get_dataset_shard("train").iter_torch_batches(...)``; Ray splits it across workers.
    """
    import ray.data

    if isinstance(caption, str):
        caption = CaptionPolicy.parse(caption, seed=seed)
    checks = as_filters(filters)
    check_filters(source, checks)
    ds = ray.data.read_webdataset(shard_urls(source), decoder=None)

    def build(row: dict) -> list[dict]:
        meta = _json(row)
        if not all(f(meta) for f in checks):
            return []
        key = row["__key__"].rsplit("/", 1)[-1]
        if isinstance(meta.get("texts"), list):
            blobs = _position_images(row)
            images = [None if t is not None or blobs.get(i) is None
                      else (decode_image(blobs[i], "rgb8") if decode else blobs[i])
                      for i, t in enumerate(meta["texts"])]
            return [{"key": key, "texts": list(meta["texts"]), "images": images}]
        alt = row["txt"].decode("utf-8", "replace") if row.get("txt") is not None else None
        chosen = caption.choose(key, meta, alt, epoch)
        data = next((row[e] for e in IMAGE_EXTENSIONS if row.get(e) is not None), None)
        if chosen is None or data is None:
            return []
        image = decode_image(data, "rgb8") if decode else data
        return [{"key": key, "image": image, "caption": chosen[0], "caption_source": chosen[1]}]

    return ds.flat_map(build)


def _position_images(sample: dict) -> dict[int, bytes]:
    """A document sample's image bytes by position (``images.mp``, or legacy ``{i}.jpg``)."""
    members = {k: v for k, v in sample.items() if not k.startswith("__") and v is not None}
    return Sample("", members).position_images()


def _json(sample: dict) -> dict:
    raw = sample.get("json")
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _distributed() -> tuple[int, int]:
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
    except ImportError:
        pass
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
