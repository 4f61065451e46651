"""Cross-check benchmark: claims/s and captions/s of the ``CrossCheck`` stage, and its cost
relative to the CLIP stage alone, with the tiny models, in the same run.

    python bench/crosscheck.py [--records 256] [--batch 32] [--text-every 8] [--detector] [--threads 2]

- ours: ``CrossCheck`` (decode, claim extraction, CLIP grounding against contrast prompts, OCR on
  the records whose captions quote text, alt-text agreement, verdicts, repair and re-check) over
  two caption variants per record, with the ``test-tiny`` model set (``--detector`` adds OWLv2).
- baseline: ``ClipScore`` (the CLIP filter) over the same records and batches, same tiny CLIP.

Images are photo-like 640x480 JPEGs; one record in ``--text-every`` also has rendered text and a
caption quoting it (right or wrong), so that OCR runs on that share. Each side runs twice,
interleaved, after a warm-up; the best time counts. ``ratio`` is cross-check seconds / CLIP
seconds (how many CLIP stages the cross-check costs); ``ocr_s`` is the part of it spent in OCR and
``ratio_without_ocr`` the ratio without it. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from pathlib import Path

import pyarrow as pa
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.clip import photo  # noqa: E402
from bench.common import emit  # noqa: E402

OBJECTS = ["dog", "cat", "car", "bus", "horse", "bicycle", "bench", "umbrella", "couch", "pizza"]
COLOURS = ["red", "blue", "green", "white", "black", "brown", "yellow"]
NUMBERS = ["two", "three", "four"]
WORDS = ["OPEN", "SALE", "EXIT", "CAFE", "STOP", "HOTEL"]


def captions(rng: random.Random, text: str | None) -> tuple[str, str, str]:
    """(alt-text, long caption, short caption) about random objects, colours and counts."""
    a, b, c = rng.sample(OBJECTS, 3)
    colour, number = rng.choice(COLOURS), rng.choice(NUMBERS)
    alt = f"{number} {a}s and a {rng.choice(COLOURS)} {b}"
    long = f"{number.capitalize()} {a}s next to a {colour} {b} on a street, with a {c} in the background."
    if text is not None:
        quoted = text if rng.random() < 0.5 else rng.choice(WORDS)
        long += f" A sign above them reads '{quoted}'."
    return alt, long, f"A {colour} {b} near a {a}."


def with_text(data: bytes, text: str) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    ImageDraw.Draw(image).text((60, 60), text, font=ImageFont.load_default(size=64), fill="white")
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def corpus(n: int, text_every: int) -> pa.Table:
    rng = random.Random(0)
    images, alts, longs, shorts = [], [], [], []
    for i in range(n):
        text = rng.choice(WORDS) if text_every and i % text_every == 0 else None
        data = photo(i)
        images.append(with_text(data, text) if text else data)
        alt, long, short = captions(rng, text)
        alts.append(alt)
        longs.append(long)
        shorts.append(short)
    return pa.table({"key": [f"{i:024x}" for i in range(n)], "image": images, "caption": alts,
                     "caption_long": longs, "caption_short": shorts})


def _time_ocr(stage) -> list[float]:
    """Accumulate the seconds the stage's OCR verifier spends reading images."""
    spent = [0.0]
    for verifier in stage.checker.verifiers:
        if verifier.name == "ocr":
            read = verifier.read

            def timed_read(evidence, read=read):
                start = time.perf_counter()
                try:
                    return read(evidence)
                finally:
                    spent[0] += time.perf_counter() - start

            verifier.read = timed_read
    return spent


def run(stage, table: pa.Table, batch: int) -> tuple[float, list[pa.Table]]:
    start = time.perf_counter()
    outs = [stage(table.slice(i, batch)) for i in range(0, table.num_rows, batch)]
    return time.perf_counter() - start, outs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=256)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--text-every", type=int, default=8, help="one record in N quotes text (0: none)")
    parser.add_argument("--detector", action="store_true", help="add the OWLv2 verifier (tiny)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from filters.clip import ClipConfig, ClipScore
    from recaption.crosscheck import CrossCheck, CrossCheckConfig

    table = corpus(args.records, args.text_every)
    verifiers = ["clip", "ocr", "alt_text"] + (["detector"] if args.detector else [])
    ours = CrossCheck(verifiers=verifiers, models="test-tiny",
                      config=CrossCheckConfig(reject=False, ocr_threads=args.threads))
    baseline = ClipScore("clip-tiny-random", threshold=None, config=ClipConfig(batch_size=args.batch, num_gpus=0.0))
    ours.setup()
    baseline.setup()
    ocr_seconds = _time_ocr(ours)
    warm = table.slice(0, min(args.batch, args.records))
    run(ours, warm, args.batch)
    run(baseline, warm, args.batch)

    ours_s, base_s, outs, ocr_s = [], [], [], []
    for _ in range(2):
        ocr_seconds[0] = 0.0
        t, outs = run(ours, table, args.batch)
        ours_s.append(t)
        ocr_s.append(ocr_seconds[0])
        base_s.append(run(baseline, table, args.batch)[0])
    out = pa.concat_tables(outs)
    docs = [json.loads(d) for d in out.column("crosscheck").to_pylist()]
    claims = sum(len(v["claims"]) + len(v.get("claims_after", [])) for d in docs for v in d["variants"])
    checked = sum(v is not None for c in ("caption_long", "caption_short") for v in table.column(c).to_pylist())
    actions = {}
    for a in out.column("crosscheck_action").to_pylist():
        actions[a] = actions.get(a, 0) + 1
    best, base = min(ours_s), min(base_s)
    ocr = ocr_s[ours_s.index(best)]
    emit(
        bench="crosscheck",
        ours="CrossCheck(" + "+".join(verifiers) + ", test-tiny)",
        baseline="ClipScore(clip-tiny-random)",
        ratio=round(best / base, 3),
        records=args.records,
        captions_per_s=round(checked / best, 1),
        claims_per_s=round(claims / best, 1),
        records_per_s=round(args.records / best, 1),
        baseline_records_per_s=round(args.records / base, 1),
        claims_checked=claims,
        text_records=sum(1 for i in range(args.records) if args.text_every and i % args.text_every == 0),
        actions=actions,
        ours_s=round(best, 3),
        ocr_s=round(ocr, 3),
        ratio_without_ocr=round((best - ocr) / base, 3),
        baseline_s=round(base, 3),
        threads=args.threads,
    )


if __name__ == "__main__":
    main()
