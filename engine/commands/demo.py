"""``loomery demo --out DIR``: make a small corpus with bad records in it and run the demo job."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.demo.corpus import make_records, write_parquet_corpus
from engine.job import Params
from engine.jobfile import build_job
from engine.runner import run_job
from engine.stats_table import format_stats


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="generate a small local corpus and run the demo job on it")
    p.add_argument("--out", required=True, help="output folder (the corpus goes in OUT/input)")
    p.add_argument("--records", type=int, default=300, help="records to generate")
    p.add_argument("--param", action="append", default=[], help="demo job parameter key=value")
    p.add_argument("--workers", type=int, default=None, help="most tasks/actors at once per stage")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    out = Path(args.out)
    corpus = out / "input"
    if not corpus.exists():
        files = write_parquet_corpus(make_records(args.records), corpus)
        print(f"demo: wrote {args.records} records ({len(files)} Parquet files) to {corpus}")
    params = Params.parse(args.param)
    result = out / "result"
    job = build_job("demo", [str(corpus)], str(result), params)
    manifest = run_job(job, workers=args.workers, params=params.as_dict())
    print(format_stats(manifest, result))
    print(f"demo: shards in {result / 'shards'}; manifest {result / 'manifest.json'}; "
          f"check with `loomery verify {result}`")
    return 0
