"""Helpers for tests that run jobs: a demo corpus, and digests of an output folder."""

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq

from engine.job import Params
from engine.jobfile import build_job
from engine.runner import run_job
from loomery.demo.corpus import make_records, write_parquet_corpus


def demo_corpus(folder: Path, count: int = 120) -> Path:
    write_parquet_corpus(make_records(count, seed=7), folder, rows_per_file=50)
    return folder


def run_demo(inputs, out, workers=None, **params):
    params = Params({k: str(v) for k, v in params.items()})
    job = build_job("demo", [str(i) for i in inputs], str(out), params)
    return run_job(job, workers=workers, params=params.as_dict())


def digests(out: Path) -> dict[str, str]:
    """sha256 of every shard, sidecar and rejects file of an output folder."""
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and p.suffix in (".tar", ".parquet")}


def comparable_manifest(out: Path) -> dict:
    manifest = json.loads((out / "manifest.json").read_text())
    for volatile in ("created", "code_version"):
        manifest.pop(volatile)
    return manifest


def all_keys(out: Path) -> tuple[list[str], list[str]]:
    def keys(folder):
        return [k for p in sorted((out / folder).glob("*.parquet")) for k in pq.read_table(p).column("key").to_pylist()]

    kept, rejected = keys("metadata"), keys("rejects")
    return kept, rejected
