"""A small synthetic image-caption corpus with every kind of bad record, made offline.

Images are drawn scenes (sky/ground gradients, coloured shapes, noise) whose captions say what
was drawn, so that later stages (CLIP score, cross-check) have something true to check.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw

COLOURS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220),
           "yellow": (235, 210, 40), "purple": (140, 60, 170), "orange": (240, 140, 30),
           "white": (245, 245, 245), "black": (20, 20, 20)}
SHAPES = ("circle", "square", "triangle")
SCENES = ("on a sunny beach", "in a green field", "under a grey sky", "on a wooden table",
          "in a snowy landscape", "at sunset", "on a city street", "in a quiet library", "by a mountain lake",
          "on a kitchen counter", "in a desert at noon", "inside a train station", "on a rainy pavement",
          "in an autumn forest", "on a stone wall", "at a night market")


@dataclass
class DemoRecord:
    image: bytes | None
    caption: str | None
    kind: str  # what the record is: "good" or the kind of fault planted


def draw_scene(rng: random.Random, size: tuple[int, int]) -> tuple[Image.Image, str]:
    """A drawn scene and a caption that describes it."""
    w, h = size
    top = np.array([rng.randint(60, 200) for _ in range(3)], dtype=np.float32)
    bottom = np.array([rng.randint(20, 160) for _ in range(3)], dtype=np.float32)
    # the gradient runs in any direction, so that scenes differ in their low frequencies too
    # (perceptual hashes see those) and not only in their shapes
    angle = rng.uniform(0, 2 * np.pi)
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    along = np.cos(angle) * gx / w + np.sin(angle) * gy / h
    ramp = ((along - along.min()) / max(float(np.ptp(along)), 1e-6))[:, :, None]
    pixels = top * (1 - ramp) + bottom * ramp
    texture = np.random.default_rng(rng.randint(0, 2**31))
    # soft light and shade: a coarse random field, smoothly upscaled (the low frequencies differ)
    coarse = Image.fromarray(texture.uniform(0, 255, (5, 5)).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
    shade = (np.asarray(coarse, np.float32)[:, :, None] - 128.0) * 0.35
    noise = texture.normal(0, 6, (h, w, 3))
    image = Image.fromarray(np.clip(pixels + shade + noise, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    names = []
    for _ in range(rng.randint(1, 3)):
        colour, shape = rng.choice(list(COLOURS)), rng.choice(SHAPES)
        r = rng.randint(min(w, h) // 10, min(w, h) // 4)
        x, y = rng.randint(r, w - r), rng.randint(r, h - r)
        box = (x - r, y - r, x + r, y + r)
        if shape == "circle":
            draw.ellipse(box, fill=COLOURS[colour])
        elif shape == "square":
            draw.rectangle(box, fill=COLOURS[colour])
        else:
            draw.polygon([(x, y - r), (x - r, y + r), (x + r, y + r)], fill=COLOURS[colour])
        size = "small" if r < min(w, h) / 6 else "large"
        where = "on the left" if x < w / 3 else "on the right" if x > 2 * w / 3 else "in the middle"
        names.append(f"a {size} {colour} {shape} {where}")
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return image, f"{listed[0].upper()}{listed[1:]}, {rng.choice(SCENES)}"


def encode(image: Image.Image, fmt: str = "JPEG", quality: int = 88) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def make_records(count: int = 300, seed: int = 0) -> list[DemoRecord]:
    """``count`` records: mostly good scenes, with about one in five planted faults."""
    rng = random.Random(seed)
    records: list[DemoRecord] = []
    faults = ["corrupt", "truncated", "tiny", "empty_caption", "junk_filename", "junk_url",
              "junk_repeated", "duplicate", "wide", "missing_image", "one_word"]
    for i in range(count):
        kind = faults[(i // 5) % len(faults)] if i % 5 == 4 else "good"
        size = (rng.choice([320, 384, 448, 512]), rng.choice([240, 288, 320, 384]))
        image, caption = draw_scene(rng, size)
        data = encode(image, rng.choice(["JPEG", "JPEG", "PNG"]))
        if kind == "corrupt":
            data = bytes(rng.getrandbits(8) for _ in range(2048))
        elif kind == "truncated":
            data = encode(image)[: len(encode(image)) // 3]
        elif kind == "tiny":
            data = encode(image.resize((24, 18)))
        elif kind == "wide":
            data = encode(image.resize((900, 120)))
        elif kind == "missing_image":
            data = None
        elif kind == "duplicate" and records:
            data = next(r.image for r in reversed(records) if r.kind == "good")
        caption = {
            "empty_caption": "   ",
            "junk_filename": f"IMG_{1000 + i}.jpg",
            "junk_url": f"https://example.com/photos/{i}.jpg",
            "junk_repeated": "!!!!!!!!!!!!!!!!",
            "one_word": "photo",
        }.get(kind, caption)
        records.append(DemoRecord(data, caption, kind))
    return records


def write_parquet_corpus(records: list[DemoRecord], path: Path, rows_per_file: int = 100) -> list[Path]:
    """Write ``records`` as Parquet files of image bytes + caption + the planted kind."""
    path.mkdir(parents=True, exist_ok=True)
    files = []
    for n, start in enumerate(range(0, len(records), rows_per_file)):
        chunk = records[start : start + rows_per_file]
        table = pa.table({
            "image": pa.array([r.image for r in chunk], pa.binary()),
            "caption": pa.array([r.caption for r in chunk], pa.string()),
            "planted": pa.array([r.kind for r in chunk], pa.string()),
        })
        file = path / f"demo-{n:03d}.parquet"
        pq.write_table(table, file)
        files.append(file)
    return files
