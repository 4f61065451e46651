"""``loomery dedup``: near-duplicate documents of a Parquet/JSONL text collection, on Ray.

A job on the one runner: :class:`~engine.sources.text.TextCollectionSource` (one unit per
``--chunk-rows`` documents) -> :class:`~filters.dedup.NearDuplicates` on the text alone, marking
clusters without rejecting (MinHash LSH; candidates verified by exact Jaccard, the MinHash
estimate or not at all; the duplicate graph's components and keepers as Ray tasks) ->
:class:`~engine.sinks.duplicates.DuplicatesSink`. The job works and writes in ``OUT/_work``, so a
rerun resumes (and refuses work made with other inputs or settings).

Writes ``OUT/duplicates.parquet`` (``id``, ``cluster``, ``dup_of``: null for the keeper, plus
``similarity`` and ``seq``), one row per document in a cluster of two or more, and
``OUT/stats.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("dedup", help="find near-duplicate texts (MinHash LSH) in a collection")
    p.add_argument("--input", required=True, nargs="+", help="Parquet/JSONL files, folders or globs")
    p.add_argument("--id-field", default="id")
    p.add_argument("--text-field", default="text")
    p.add_argument("--threshold", type=float, default=0.8, help="Jaccard similarity threshold")
    p.add_argument("--num-perm", type=int, default=128)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--ngram", type=int, default=5, help="shingle size")
    p.add_argument("--shingle", choices=("word", "char"), default="word")
    p.add_argument(
        "--verify",
        choices=("exact", "minhash", "none"),
        default="exact",
        help="check LSH candidates by exact Jaccard of shingles, the MinHash estimate, or not at all",
    )
    p.add_argument("--keep", choices=("first", "longest"), default="first")
    p.add_argument("--chunk-rows", type=int, default=20000)
    p.add_argument("--buckets", type=int, default=16)
    p.add_argument("--out", required=True)
    p.add_argument("--address", default=None, help="Ray cluster address (default: local Ray)")
    p.add_argument("--workers", type=int, default=None)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    stats = run_dedup(
        args.input,
        args.out,
        id_field=args.id_field,
        text_field=args.text_field,
        threshold=args.threshold,
        num_perm=args.num_perm,
        seed=args.seed,
        ngram=args.ngram,
        shingle_unit=args.shingle,
        verify=args.verify,
        keep=args.keep,
        chunk_rows=args.chunk_rows,
        buckets=args.buckets,
        address=args.address,
        workers=args.workers,
    )
    print(json.dumps(stats))
    return 0


def dedup_job(inputs: list[str], out: str, *, id_field: str = "id", text_field: str = "text",
              chunk_rows: int = 20000, threshold: float = 0.8, num_perm: int = 128, seed: int = 1,
              ngram: int = 5, shingle_unit: str = "word", verify: str = "exact", keep: str = "first",
              buckets: int = 16):
    """The job ``loomery dedup`` runs: text source -> ``NearDuplicates`` -> duplicates sink,
    working in ``out/_work``."""
    from engine.job import Job
    from engine.sinks.duplicates import DuplicatesSink
    from engine.sources.text import TextCollectionSource
    from filters.dedup import NearDupConfig, NearDuplicates

    work = str(Path(out) / "_work")
    config = NearDupConfig(threshold=threshold, num_perm=num_perm, seed=seed, ngram=ngram,
                           shingle_unit=shingle_unit, verify=verify, keep=keep, buckets=buckets,
                           shingle_dir=str(Path(work) / "shingles"))
    stage = NearDuplicates(text_column="text", image=False, config=config, reject=False)
    return Job(source=TextCollectionSource(inputs, id_field=id_field, text_field=text_field),
               stages=[stage], sink=DuplicatesSink(str(Path(work) / "duplicates"), keep=keep),
               out=work, unit_size=chunk_rows, name="dedup")


def run_dedup(inputs: list[str], out: str, *, address: str | None = None, workers: int | None = None,
              **options) -> dict:
    """Deduplicate the collection under ``inputs`` into ``out`` (on the Ray already initialised,
    else a local one or ``address``); returns the stats also written to ``out/stats.json``."""
    from engine.runner import run_job

    started = time.perf_counter()
    job = dedup_job(inputs, out, **options)
    manifest = run_job(job, address=address, workers=workers)
    stats = job.sink.finish(out)
    stage, signal = job.stages[0], job.stages[0]._signals["text"]
    stats.update(
        {
            "inputs": manifest["totals"]["inputs"],
            "chunks": manifest["phases"][0]["units"],
            "threshold": stage.threshold,
            "num_perm": stage.num_perm,
            "bands": signal.bands,
            "rows": signal.rows,
            "ngram": stage.ngram,
            "shingle": stage.shingle_unit,
            "verify": stage.verify,
            "keep": stage.keep,
            "buckets": stage.buckets,
            "seconds": {"total": time.perf_counter() - started},
        }
    )
    (Path(out) / "stats.json").write_text(json.dumps(stats, indent=2))
    return stats
