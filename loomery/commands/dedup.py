"""``loomery dedup``: near-duplicate documents of a Parquet/JSONL text collection, on Ray.

Each input chunk is signed by a Ray task (MinHash, LSH band rows written as a Parquet file sorted
by bucket, shingle hashes saved for verification); the global step then runs ``decide`` once per
bucket as Ray tasks, each reading only its bucket's rows, and ``combine`` on the driver builds
the duplicate graph from the verified edges. Signatures never gather on the driver. Finished
chunks and buckets are kept in ``OUT/_work``, so a rerun resumes.

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
    from engine.runner.cluster import ray_session

    with ray_session(args.address, args.workers):
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
        )
    print(json.dumps(stats))
    return 0


def run_dedup(
    inputs: list[str],
    out: str,
    *,
    id_field: str = "id",
    text_field: str = "text",
    chunk_rows: int = 20000,
    max_in_flight: int | None = None,
    **options,
) -> dict:
    """Deduplicate the collection under ``inputs`` into ``out`` (Ray must be initialised);
    returns the stats also written to ``out/stats.json``."""
    from engine.dedup_exec import sign_all, write_results
    from engine.runner.global_step import run_global_stage
    from engine.sources.base import expand_paths
    from filters.dedup.collection import TextCollectionDedup
    from filters.dedup.collection_read import plan_chunks

    started = time.perf_counter()
    folder = Path(out)
    work = folder / "_work"
    work.mkdir(parents=True, exist_ok=True)
    paths = expand_paths(inputs, (".parquet", ".jsonl", ".json"))
    if not paths:
        raise FileNotFoundError(f"no .parquet/.jsonl input under {inputs}")
    chunks = plan_chunks(paths, chunk_rows)
    stage = TextCollectionDedup(str(work), **options)
    _claim_work(
        work,
        {
            "inputs": paths,
            "id_field": id_field,
            "text_field": text_field,
            "chunks": [c.__dict__ for c in chunks],
            "stage": stage.config(),
        },
    )
    files = sign_all(stage, chunks, work, id_field, text_field, max_in_flight)
    signed = time.perf_counter()
    decisions = run_global_stage(stage, files, work / "global", max_in_flight=max_in_flight or 8)
    decided = time.perf_counter()
    stats = write_results(decisions, chunks, work, folder)
    stats.update(
        {
            "inputs": sum(c.rows for c in chunks),
            "chunks": len(chunks),
            "threshold": stage.threshold,
            "num_perm": stage.num_perm,
            "bands": stage.bands,
            "rows": stage.rows,
            "ngram": stage.ngram,
            "shingle": stage.shingle_unit,
            "verify": stage.verify,
            "keep": stage.keep,
            "buckets": stage.buckets,
            "seconds": {
                "sign": signed - started,
                "global": decided - signed,
                "total": time.perf_counter() - started,
            },
        }
    )
    (folder / "stats.json").write_text(json.dumps(stats, indent=2))
    return stats


def _claim_work(work: Path, settings: dict) -> None:
    """Record the settings of the work in ``work``; refuse to resume work made with others."""
    path = work / "settings.json"
    text = json.dumps(settings, sort_keys=True, default=str)
    if path.exists():
        if path.read_text() != text:
            raise ValueError(
                f"{work} holds work of a dedup run with other inputs or settings; choose another --out or delete it"
            )
        return
    path.write_text(text)
