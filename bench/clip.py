"""Model-stage benchmark: images/s of ``ClipScore`` and ``Nsfw`` against bare loops, same run.

    python bench/clip.py [--images 128] [--batch 64] [--threads 2] [--model auto|tiny|NAME]
                         [--device cpu|cuda] [--precision auto|fp16|bf16|fp32] [--no-nsfw]

On a GPU (``--device cuda``, fp16 by default) both CLIP sides run on it, the bare loop under the
same autocast; the summary puts the images/s next to clip-retrieval's published 1,500 images/s
(ViT-B/32 on an RTX 3080).

- CLIP: ``ClipScore`` (decode + preprocess + both towers + score + float16 embeddings) against a
  bare open_clip loop (Pillow decode, the model's own preprocess, ``encode_image`` /
  ``encode_text``, cosine), with the same model object, batch size and torch threads.
  ``--model auto`` uses ViT-B-32 ``laion2b_s34b_b79k`` when its weights are here, else the same
  ViT-B-32 architecture with random weights (the JSON says ``"weights": "random"``): speed does
  not depend on the weights' values.
- NSFW: the ``Nsfw`` stage against NudeNet's own preprocessing (``nudenet._read_image``) fed to a
  bare onnxruntime session in batches of the same size, with the same thread count.

Images are photo-like 640x480 JPEGs. Each side runs twice, interleaved; the best time counts.
Prints one JSON line per sub-benchmark, then the summary line (``ratio``: the worse of the two).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def photo(seed: int, width: int = 640, height: int = 480) -> bytes:
    """A photo-like JPEG: smooth gradients, a few shapes and noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([(x / width) * 255, (y / height) * 255, ((x + y) / (width + height)) * 255], -1)
    base = base * rng.uniform(0.4, 1.0, 3)
    for _ in range(4):
        cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(20, 120)
        base[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(0, 255, 3)
    base += rng.normal(0, 8, base.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def best_of(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def clip_spec(choice: str):
    from engine.models import ModelSpec, get, register
    from engine.models.loaders import is_available
    from filters import models as _models  # noqa: F401  (registers the CLIP specs)

    if choice == "tiny":
        return get("clip-tiny-random")
    if choice != "auto":
        return get(choice)
    real = get("clip-vit-b-32-laion2b")
    if is_available(real):
        return real
    import open_clip

    return register(
        ModelSpec(
            name="bench-vit-b-32-random",
            kind="open_clip",
            source="config:ViT-B-32",
            random_init=True,
            config={**open_clip.get_model_config("ViT-B-32"), "seed": 0},
            description="ViT-B-32 with random weights, for speed measurements only",
        )
    )


def bench_clip(images, captions, args) -> dict:
    import torch

    from filters.clip import ClipConfig, ClipScore

    spec = clip_spec(args.model)
    gpus = 1 if args.device == "cuda" else 0
    stage = ClipScore(spec.name, threshold=None, config=ClipConfig(batch_size=args.batch, num_cpus=args.threads,
                                                                   num_gpus=gpus, precision=args.precision))
    stage.setup()
    encoder = stage._encoder
    bundle = encoder.bundle  # the same model object for both sides
    torch.set_num_threads(args.threads)
    tables = [
        pa.table({"image": images[i : i + args.batch], "caption": captions[i : i + args.batch]})
        for i in range(0, len(images), args.batch)
    ]

    def ours():
        for table in tables:
            stage(table)

    def bare():
        for i in range(0, len(images), args.batch):
            pixels = torch.stack(
                [bundle.preprocess(Image.open(io.BytesIO(b)).convert("RGB")) for b in images[i : i + args.batch]]
            )
            tokens = bundle.tokenizer(captions[i : i + args.batch])
            with torch.inference_mode(), encoder._autocast():
                a = bundle.model.encode_image(pixels.to(encoder.device))
                t = bundle.model.encode_text(tokens.to(encoder.device))
                a = a / a.norm(dim=-1, keepdim=True)
                t = t / t.norm(dim=-1, keepdim=True)
                (a * t).sum(-1).float().cpu().numpy()

    stage(tables[0])  # warm up both paths
    bare_t, ours_t = [], []
    for _ in range(args.reps):
        bare_t.append(best_of(bare, 1))
        ours_t.append(best_of(ours, 1))
    n = len(images)
    return {
        "bench": "clip_score",
        "ours": round(n / min(ours_t), 2),
        "baseline": round(n / min(bare_t), 2),
        "ratio": round(min(bare_t) / min(ours_t), 3),
        "unit": "images/s",
        "baseline_name": "bare open_clip loop (Pillow decode + preprocess + encode_image/text + cosine)",
        "model": spec.name,
        "weights": "random" if spec.random_init else "pretrained",
        "device": args.device,
        "precision": encoder.precision,
        "images": n,
        "batch": args.batch,
        "threads": args.threads,
    }


def bench_nsfw(images, args) -> dict:
    import onnxruntime as ort
    from nudenet.nudenet import _read_image

    from engine.models.loaders import bundled_path
    from filters.safety.models import NUDENET
    from filters.safety.nsfw import Nsfw, exposed_scores

    stage = Nsfw(threshold=None, batch_size=args.batch, num_cpus=args.threads)
    stage.setup()
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(bundled_path(NUDENET)), options, providers=["CPUExecutionProvider"])
    tables = [pa.table({"image": images[i : i + args.batch]}) for i in range(0, len(images), args.batch)]

    def ours():
        for table in tables:
            stage(table)

    def bare():
        for i in range(0, len(images), args.batch):
            blob = np.concatenate([_read_image(b, 320)[0] for b in images[i : i + args.batch]])
            (out,) = session.run(None, {"images": blob})
            exposed_scores(out)

    stage(tables[0])
    bare_t, ours_t = [], []
    for _ in range(args.reps):
        bare_t.append(best_of(bare, 1))
        ours_t.append(best_of(ours, 1))
    n = len(images)
    return {
        "bench": "nsfw",
        "ours": round(n / min(ours_t), 2),
        "baseline": round(n / min(bare_t), 2),
        "ratio": round(min(bare_t) / min(ours_t), 3),
        "unit": "images/s",
        "baseline_name": "nudenet _read_image (cv2) + bare onnxruntime session, batched",
        "model": "nudenet-320n",
        "images": n,
        "batch": args.batch,
        "threads": args.threads,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--model", default="auto", help="auto, tiny, or a registered model name")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--precision", default="auto", help="auto (fp16 on cuda, fp32 on cpu), fp16, bf16, fp32")
    parser.add_argument("--no-nsfw", action="store_true", help="CLIP only (the NSFW stage runs on CPU)")
    args = parser.parse_args()
    images = [photo(i % 64) for i in range(args.images)]
    captions = [f"a photo of shape number {i} in a gradient" for i in range(args.images)]
    clip = bench_clip(images, captions, args)
    print(json.dumps(clip), flush=True)
    if args.no_nsfw:
        print(json.dumps({"bench": "clip", **clip, "goal": 0.9, "gpu": _gpu_note(clip)}))
        return 0
    nsfw = bench_nsfw(images, args)
    print(json.dumps(nsfw), flush=True)
    worse = min((clip, nsfw), key=lambda r: r["ratio"])
    summary = {
        "bench": "clip",
        "ours": clip["ours"],
        "baseline": clip["baseline"],
        "ratio": worse["ratio"],
        "clip_ratio": clip["ratio"],
        "nsfw_ratio": nsfw["ratio"],
        "nsfw_ours": nsfw["ours"],
        "nsfw_baseline": nsfw["baseline"],
        "clip_weights": clip["weights"],
        "clip_model": clip["model"],
        "goal": 0.9,
        "gpu": _gpu_note(clip),
    }
    print(json.dumps(summary))
    return 0


def _gpu_note(clip: dict) -> str:
    if clip["device"] != "cuda":
        return "not measured here: run with --device cuda for ViT-B-32 fp16 images/s"
    return f"{clip['ours']} images/s ({clip['precision']}) vs clip-retrieval's published 1,500 images/s (RTX 3080)"


if __name__ == "__main__":
    raise SystemExit(main())
