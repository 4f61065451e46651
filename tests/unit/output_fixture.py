"""Write a small but complete loomery output folder for tests of the report, loader and tools.

It follows DESIGN.md "Outputs": manifest.json, stats.json, shards/NNNNN.tar with their Parquet
sidecars, and rejects/NNNNN.parquet, with real JPEG images, synthetic captions and claims.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw

from engine.sinks import layout
from engine.sinks.documents import pack_images
from engine.sinks.files import DeterministicTar
from schemas import REJECT_SCHEMA

CLIP_THRESHOLD = 0.28
NSFW_THRESHOLD = 0.5
HALLUCINATION_THRESHOLD = 0.5
OBJECTS = ["dog", "cat", "red car", "bicycle", "tree", "boat", "house", "clock"]


def _jpeg(seed: int, size=(96, 72)) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(3):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(8, 30)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _key(i: int) -> str:
    return hashlib.sha256(f"record-{i}".encode()).hexdigest()[:24]


def _claims(caption: str, rng: random.Random) -> list[dict]:
    """Claims as the cross-check stores them: kind, phrase, character span, verdict, support."""
    claims = []
    for obj in OBJECTS:
        start = caption.find(obj)
        if start >= 0:
            verdict = rng.choice(["supported", "supported", "unsupported", "unverified"])
            claims.append({"kind": "object", "phrase": obj, "start": start,
                           "end": start + len(obj), "verdict": verdict,
                           "support": round(rng.uniform(-1, 1), 3)})
    return claims


def _pair_record(i: int, rng: random.Random) -> dict:
    """A kept pair with the columns the recaption and cross-check stages write."""
    objs = rng.sample(OBJECTS, 2)
    dense = f"A photo of a {objs[0]} next to a {objs[1]} on a sunny day."
    claims = _claims(dense, rng)
    rate = round(sum(c["verdict"] == "unsupported" for c in claims) / len(claims), 4)
    image = _jpeg(i)
    failed = i % 10 == 0  # one in ten captions failed (a refusal) and is stored as null
    check = {"action": "keep", "chosen": "dense", "caption": dense,
             "variants": [{"variant": "dense", "caption": dense, "outcome": "keep",
                           "rate": rate, "claims": claims}]}
    return {
        "key": _key(i),
        "url": f"https://example.com/img/{i}.jpg",
        "caption": f"{objs[0]} picture {i}",
        "image": image,
        "width": 96,
        "height": 72,
        "sha256": hashlib.sha256(image).hexdigest(),
        "lang_confidence": round(0.5 + 0.5 * rng.random(), 4),
        "clip_score": round(CLIP_THRESHOLD + 0.1 * rng.random(), 4),
        "nsfw_score": round(0.4 * rng.random(), 4),
        "caption_dense": None if failed else dense,
        "caption_dense_status": "refusal" if failed else "ok",
        "caption_dense_meta": json.dumps({"model": "test-tiny", "prompt": "dense@1"}),
        "caption_dense_prov": "p1",
        "crosscheck": None if failed else json.dumps(check),
        "crosscheck_caption": None if failed else dense,
        "crosscheck_rate": None if failed else rate,
    }


def _write_shard(folder: Path, index: int, records: list[dict]) -> dict:
    tar_name, pq_name = layout.tar_name(index), layout.parquet_name(index)
    (folder / layout.METADATA).mkdir(exist_ok=True)
    tar = DeterministicTar(str(folder / tar_name))
    for r in records:
        meta = {k: v for k, v in r.items() if k != "image"}
        tar.add(f"{r['key']}.jpg", r["image"])
        tar.add(f"{r['key']}.txt", r["caption"].encode())
        tar.add(f"{r['key']}.json", json.dumps(meta).encode())
    tar.close()
    pq.write_table(pa.Table.from_pylist([{k: v for k, v in r.items() if k != "image"}
                                         for r in records]), folder / pq_name)
    return {
        "name": tar_name, "samples": len(records), **_file_info(folder / tar_name),
        "parquet": pq_name, **{f"parquet_{k}": v for k, v in _file_info(folder / pq_name).items()},
    }


def _file_info(path: Path) -> dict:
    data = path.read_bytes()
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _reject(i: int, stage: str, reason: str, score=None, threshold=None) -> dict:
    return {"key": _key(i), "url": f"https://example.com/img/{i}.jpg", "stage": stage,
            "reason": reason, "score": score, "threshold": threshold, "detail": None,
            "dup_of": _key(i - 1) if stage == "exact_dedup" else None, "unit": 0, "seq": i}


def _histogram(values, lo, hi, bins=20) -> dict:
    counts, edges = np.histogram([v for v in values if v is not None], bins=bins, range=(lo, hi))
    return {"edges": [round(float(e), 6) for e in edges], "counts": [int(c) for c in counts]}


def write_output(folder: str | Path, *, kept: int = 40, shards: int = 3, seed: int = 0) -> Path:
    """Write an output folder with ``kept`` samples over ``shards`` shards, and rejects."""
    folder = Path(folder)
    (folder / "shards").mkdir(parents=True, exist_ok=True)
    (folder / "rejects").mkdir(exist_ok=True)
    rng = random.Random(seed)
    records = [_pair_record(i, rng) for i in range(kept)]
    rejects, n = [], kept
    plan = [("read", "http_404", None, None), ("language", "low_confidence", 0.3, 0.5),
            ("clip_score", "below_threshold", None, CLIP_THRESHOLD),
            ("nsfw", "nsfw", None, NSFW_THRESHOLD), ("exact_dedup", "duplicate", None, None)]
    for stage, reason, score, threshold in plan:
        for _ in range(4 if stage != "clip_score" else 8):
            if stage == "clip_score":
                score = round(CLIP_THRESHOLD - 0.08 * rng.random(), 4)
            if stage == "nsfw":
                score = round(NSFW_THRESHOLD + 0.4 * rng.random(), 4)
            rejects.append(_reject(n, stage, reason, score, threshold))
            n += 1
    per = -(-kept // shards)
    entries = [_write_shard(folder, s, records[s * per:(s + 1) * per]) for s in range(shards)
               if records[s * per:(s + 1) * per]]
    pq.write_table(pa.Table.from_pylist(rejects, REJECT_SCHEMA), folder / "rejects/00000.parquet")
    inputs = kept + len(rejects)
    stages, alive = {}, inputs
    for stage in ["read", "language", "clip_score", "nsfw", "exact_dedup"]:
        out = sum(r["stage"] == stage for r in rejects)
        stages[stage] = {"in": alive, "kept": alive - out, "rejected": out,
                         "reasons": {plan[[p[0] for p in plan].index(stage)][1]: out}}
        alive -= out
    stages["crosscheck"] = {"in": alive, "kept": alive, "rejected": 0, "reasons": {}}
    manifest = {
        "schema_version": "1.0", "loomery_version": "0.1.0", "code_version": "test",
        "created": "2026-01-01T00:00:00Z",
        "job": {"name": "fixture", "unit_size": 100, "source": {"class": "test.Source"},
                "stages": [{"name": s, "class": f"filters.{s}"} for s in stages],
                "sink": {"class": "engine.sinks.webdataset.WebDatasetSink"}, "notes": "",
                "params": {}},
        "models": [{"name": "test-tiny", "kind": "captioner", "source": "built-in",
                    "revision": "0", "random_init": True, "stage": "recaption"}],
        "totals": {"inputs": inputs, "kept": kept, "rejected": len(rejects)},
        "stages": stages, "shards": entries,
        "rejects": [{"name": "rejects/00000.parquet", "rows": len(rejects),
                     **_file_info(folder / "rejects/00000.parquet")}],
        "phases": [],
    }
    clip = [r["clip_score"] for r in records] + [r["score"] for r in rejects
                                                 if r["stage"] == "clip_score"]
    nsfw = [r["nsfw_score"] for r in records] + [r["score"] for r in rejects
                                                 if r["stage"] == "nsfw"]
    hist = {
        "language": {"lang_confidence": _histogram([r["lang_confidence"] for r in records], 0, 1)},
        "clip_score": {"clip_score": _histogram(clip, 0, 0.5)},
        "nsfw": {"nsfw_score": _histogram(nsfw, 0, 1)},
        "crosscheck": {"crosscheck_rate": _histogram(
            [r["crosscheck_rate"] for r in records], 0, 1)},
    }
    stats = {"stages": {k: {**v, "seconds": 0.5, "histograms": hist.get(k, {})}
                        for k, v in stages.items()}, "totals": manifest["totals"]}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    (folder / "stats.json").write_text(json.dumps(stats, indent=1))
    return folder


def write_documents(folder: str | Path, *, docs: int = 3) -> Path:
    """Add a shard of interleaved documents ({key}.json OBELICS sequence + {key}.images.mp) to an
    output."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    index = len(manifest["shards"])
    tar_name, pq_name = layout.tar_name(index), layout.parquet_name(index)
    (folder / layout.METADATA).mkdir(exist_ok=True)
    rows = []
    tar = DeterministicTar(str(folder / tar_name))
    for d in range(docs):
        key = _key(1000 + d)
        texts = [f"Heading of document {d}", None, "A paragraph after the first image.", None]
        images = [None, f"https://example.com/doc{d}/a.jpg", None,
                  f"https://example.com/doc{d}/b.jpg"]
        meta = {"key": key, "url": f"https://example.com/doc{d}.html", "texts": texts,
                "images": images}
        tar.add(f"{key}.json", json.dumps(meta).encode())
        blobs = [_jpeg(5000 + 10 * d + i) if url else None for i, url in enumerate(images)]
        tar.add(f"{key}.images.mp", pack_images(blobs, len(texts)))
        rows.append(meta)
    tar.close()
    pq.write_table(pa.Table.from_pylist(rows), folder / pq_name)
    manifest["shards"].append({
        "name": tar_name, "samples": docs, **_file_info(folder / tar_name), "parquet": pq_name,
        **{f"parquet_{k}": v for k, v in _file_info(folder / pq_name).items()}})
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return folder
