"""Training-loader benchmark: samples/s of ``engine.output.loader`` against a bare webdataset pipeline.

    python bench/loader.py [--samples 4000] [--shards 8] [--size 256] [--workers 2]
                           [--batch 64] [--buffer 1000] [--reps 2]

Both read the same WebDataset shards (``--size``-pixel JPEGs with .txt and .json members, as a
loomery run writes them) through a torch DataLoader with the same workers, batch size and
shuffle buffer, and decode images to RGB PIL images and the JSON metadata:

- baseline: ``wds.WebDataset(urls, shardshuffle=..).shuffle(buffer).decode("pil")
  .to_tuple("jpg", "txt", "json")``;
- ours: ``training_dataset(urls, caption="mix:dense:0.8", shuffle_buffer=buffer)`` (shard
  shuffle, node/worker split, sample shuffle, the caption-mixing policy, PIL decoding).

Each side runs ``--reps`` times, interleaved, after one warm-up epoch (page cache); the best
counts. Prints one JSON line: ``ours``/``baseline`` in samples/s and ``ratio`` (goal >= 0.9).

With ``--ray-samples N`` (0 skips it) a second line compares ``ray.data.read_webdataset(folder)``
(default decoding, one full pass) on a shards folder written by loomery's WebDatasetSink (the
img2dataset/DataComp contract in every ``.json``) against the same samples written by
``webdataset.TarWriter`` (the same member bytes, written by webdataset's own writer), on a local
Ray of 2 CPUs.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.sinks.files import DeterministicTar  # noqa: E402


def photo(rng: np.random.Generator, size: int) -> bytes:
    """A photo-like JPEG: gradients, a few discs and noise."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    base = np.stack([x / size * 255, y / size * 255, (x + y) / (2 * size) * 255], -1)
    base = base * rng.uniform(0.4, 1.0, 3)
    for _ in range(3):
        cx, cy, r = rng.uniform(0, size, 2).tolist() + [rng.uniform(10, size / 3)]
        base[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(0, 255, 3)
    base += rng.normal(0, 6, base.shape)
    out = io.BytesIO()
    Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=88)
    return out.getvalue()


def write_shards(folder: Path, samples: int, shards: int, size: int) -> list[str]:
    """Shards laid out as a loomery run writes them; a few distinct images are reused."""
    rng = np.random.default_rng(0)
    images = [photo(rng, size) for _ in range(32)]
    per = -(-samples // shards)
    urls = []
    for s in range(shards):
        path = folder / f"{s:05d}.tar"
        tar = DeterministicTar(str(path))
        for i in range(s * per, min(samples, (s + 1) * per)):
            key = f"{i:024x}"
            meta = {"key": key, "caption": f"alt text {i}", "caption_dense": f"dense caption {i}",
                    "caption_dense_status": "ok", "clip_score": 0.3, "crosscheck_rate": 0.1}
            tar.add(f"{key}.jpg", images[i % len(images)])
            tar.add(f"{key}.txt", meta["caption"].encode())
            tar.add(f"{key}.json", json.dumps(meta).encode())
        tar.close()
        urls.append(str(path))
    return urls


def epoch(dataset, workers: int, batch: int) -> tuple[int, float]:
    from torch.utils.data import DataLoader

    loader = DataLoader(dataset, batch_size=batch, num_workers=workers, collate_fn=list,
                        persistent_workers=False)
    start = time.perf_counter()
    n = sum(len(b) for b in loader)
    return n, time.perf_counter() - start


def write_sink_and_tarwriter(folder: Path, samples: int, shards: int, size: int) -> tuple[Path, Path]:
    """The same samples as loomery's sink writes them (tars only in ``ours/``) and the same
    members rewritten by ``webdataset.TarWriter`` (``tarwriter/``)."""
    import shutil

    import pyarrow as pa
    import webdataset as wds

    from engine.runner.unit_read_write import conform
    from engine.sinks import WebDatasetSink
    from schemas import PAIR_SCHEMA

    rng = np.random.default_rng(1)
    images = [photo(rng, size) for _ in range(32)]
    n = samples
    table = conform(pa.table({
        "key": [f"{i:024x}" for i in range(n)], "url": [f"https://example.com/{i}.jpg" for i in range(n)],
        "caption": [f"alt text {i}" for i in range(n)], "image": [images[i % 32] for i in range(n)],
        "image_format": ["jpeg"] * n, "width": pa.array([size] * n, pa.int32()),
        "height": pa.array([size] * n, pa.int32()), "clip_score": [0.3] * n}), PAIR_SCHEMA)
    ours, unit, theirs = folder / "ours", folder / "unit", folder / "tarwriter"
    for d in (ours, unit, theirs):
        d.mkdir()
    for i, part in enumerate(WebDatasetSink(samples_per_shard=-(-n // shards)).write(table, str(unit))):
        shutil.move(unit / part.tar, ours / f"train-{i:05d}.tar")
    from engine.output.folder import iter_tar_samples

    for path in sorted(ours.glob("*.tar")):  # the very same member bytes, webdataset's writer
        with wds.TarWriter(str(theirs / path.name), encoder=False) as sink:
            for sample in iter_tar_samples(path):
                sink.write({"__key__": sample.key, **sample.members})
    return ours, theirs


def ray_pass(folder: Path) -> tuple[int, float]:
    import ray

    start = time.perf_counter()
    n = sum(len(b["__key__"]) for b in ray.data.read_webdataset(str(folder)).iter_batches(batch_size=256))
    return n, time.perf_counter() - start


def ray_bench(samples: int, shards: int, size: int, reps: int) -> dict:
    import ray

    ray.init(num_cpus=2, object_store_memory=256 << 20, include_dashboard=False,
             log_to_driver=False, logging_level="ERROR")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ours, theirs = write_sink_and_tarwriter(Path(tmp), samples, shards, size)
            ray_pass(theirs)  # warm-up: page cache, Ray workers
            best, counts = {"ours": 0.0, "baseline": 0.0}, {}
            for _ in range(reps):
                for name, folder in (("baseline", theirs), ("ours", ours)):
                    n, seconds = ray_pass(folder)
                    counts[name], best[name] = n, max(best[name], n / seconds)
    finally:
        ray.shutdown()
    if counts["ours"] != counts["baseline"]:
        raise SystemExit(f"sample counts differ: {counts}")
    return {"bench": "loader_ray", "ours": round(best["ours"], 1),
            "baseline": round(best["baseline"], 1), "ratio": round(best["ours"] / best["baseline"], 3),
            "unit": "samples/s", "baseline_name": "ray.data.read_webdataset on a webdataset.TarWriter folder",
            "samples": counts["ours"], "shards": shards, "image_size": size}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=4000)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--buffer", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--ray-samples", type=int, default=2000)
    args = ap.parse_args()

    import webdataset as wds

    from engine.output.loader import training_dataset

    with tempfile.TemporaryDirectory() as tmp:
        urls = write_shards(Path(tmp), args.samples, args.shards, args.size)
        baseline = (wds.WebDataset(urls, shardshuffle=len(urls))
                    .shuffle(args.buffer).decode("pil").to_tuple("jpg", "txt", "json"))
        ours = training_dataset(urls, caption="mix:dense:0.8", shuffle_buffer=args.buffer,
                                seed=0, decode="pil", rank=0, world_size=1)
        epoch(baseline, args.workers, args.batch)  # warm the page cache
        best = {"ours": 0.0, "baseline": 0.0}
        counts = {}
        for rep in range(args.reps):
            for name, ds in (("baseline", baseline), ("ours", ours)):
                if name == "ours":
                    ours.set_epoch(rep)
                n, seconds = epoch(ds, args.workers, args.batch)
                counts[name] = n
                best[name] = max(best[name], n / seconds)
    if counts["ours"] != counts["baseline"]:
        raise SystemExit(f"sample counts differ: {counts}")
    print(json.dumps({
        "bench": "loader", "ours": round(best["ours"], 1), "baseline": round(best["baseline"], 1),
        "ratio": round(best["ours"] / best["baseline"], 3), "unit": "samples/s",
        "baseline_name": "webdataset.WebDataset shuffle+decode(pil)+to_tuple",
        "samples": counts["ours"], "shards": args.shards, "image_size": args.size,
        "workers": args.workers, "batch": args.batch, "shuffle_buffer": args.buffer,
        "webdataset": wds.__version__,
    }))
    if args.ray_samples:
        print(json.dumps(ray_bench(args.ray_samples, args.shards, args.size, args.reps)))


if __name__ == "__main__":
    main()
