"""Re-read a finished output folder and check it against its manifest."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pyarrow.parquet as pq

from engine.atomic import TMP_MARK
from engine.keys import split_member
from engine.sinks.counts import read_sizes
from engine.sinks.files import describe
from engine.sinks.layout import LENGTH, SHARDS, stats_name
from schemas import (
    DOCUMENT_METADATA_SCHEMA,
    PAIR_METADATA_SCHEMA,
    REJECT_SCHEMA,
    SchemaError,
    check_manifest,
    validate_table,
)

# What a shard's Parquet sidecar must hold, by its ``loomery.schema`` tag.
RECORD_SCHEMAS = {"pair": PAIR_METADATA_SCHEMA, "document": DOCUMENT_METADATA_SCHEMA}


def verify_output(out: str | Path) -> list[str]:
    """Every mismatch between ``out`` and its manifest; an empty list means the folder is sound.

    Checks sizes and sha256 of every shard, sidecar and rejects file, sample counts (and the
    sizes.json, per-shard stats and ``__len__`` count files), that every sample of a shard has
    the same members, a ``.json`` among them, that Parquet sidecars list the same keys in the
    same order and match their schema, that the shards folder holds nothing but the tars and
    files WebDataset readers skip, that no key is both kept and rejected, and that no temporary
    file remains.
    """
    out = Path(out)
    path = out / "manifest.json"
    if not path.exists():
        return [f"{path} is missing"]
    manifest = json.loads(path.read_text())
    problems = check_manifest(manifest)
    kept_keys: set[str] = set()
    for shard in manifest["shards"]:
        problems += _check_file(out, shard["name"], shard["bytes"], shard["sha256"])
        problems += _check_file(out, shard["parquet"], shard["parquet_bytes"], shard["parquet_sha256"])
        if problems:
            continue
        keys = _tar_keys(out / shard["name"], problems)
        if len(keys) != shard["samples"]:
            problems.append(f"{shard['name']}: {len(keys)} samples, manifest says {shard['samples']}")
        sidecar = pq.read_table(out / shard["parquet"])
        schema = RECORD_SCHEMAS.get((sidecar.schema.metadata or {}).get(b"loomery.schema", b"").decode())
        try:
            if schema is not None:  # sidecars hold everything but the payload bytes
                validate_table(sidecar, schema)
        except SchemaError as e:
            problems.append(f"{shard['parquet']}: {e}")
        if sidecar.column("key").to_pylist() != keys:
            problems.append(f"{shard['parquet']}: keys differ from {shard['name']}")
        dupes = kept_keys.intersection(keys)
        if dupes:
            problems.append(f"{shard['name']}: {len(dupes)} keys also in an earlier shard")
        kept_keys.update(keys)
    rejected = 0
    for entry in manifest["rejects"]:
        problems += _check_file(out, entry["name"], entry["bytes"], entry["sha256"])
        if not (out / entry["name"]).exists():
            continue
        table = pq.read_table(out / entry["name"])
        rejected += table.num_rows
        try:
            validate_table(table, REJECT_SCHEMA)
        except SchemaError as e:
            problems.append(f"{entry['name']}: {e}")
        # A source that lists one record twice (a repeated URL) gives both copies its key: the
        # second is rejected with dup_of naming itself. Any other overlap is an error.
        repeats = {r["key"] for r in table.select(["key", "dup_of"]).to_pylist() if r["key"] == r["dup_of"]}
        both = kept_keys.intersection(table.column("key").to_pylist()) - repeats
        if both:
            problems.append(f"{entry['name']}: {len(both)} keys are also in a shard")
    totals = manifest["totals"]
    if len(kept_keys) != totals["kept"]:
        problems.append(f"shards hold {len(kept_keys)} samples, manifest says kept={totals['kept']}")
    if rejected != totals["rejected"]:
        problems.append(f"rejects hold {rejected} rows, manifest says rejected={totals['rejected']}")
    problems += _check_counts(out, manifest["shards"])
    leftovers = [str(p.relative_to(out)) for p in out.rglob("*") if TMP_MARK in p.name or p.name == "_work"]
    if leftovers:
        problems.append(f"temporary files remain: {', '.join(sorted(leftovers)[:5])}")
    return problems


def _check_file(out: Path, name: str, size: int, sha256: str) -> list[str]:
    path = out / name
    if not path.exists():
        return [f"{name} is missing"]
    written = describe(str(path))
    if written.bytes != size:
        return [f"{name}: {written.bytes} bytes, manifest says {size}"]
    if written.sha256 != sha256:
        return [f"{name}: sha256 differs from the manifest"]
    return []


def _check_counts(out: Path, shards: list[dict]) -> list[str]:
    """The count files agree with the manifest, and the shards folder holds only the tars and
    names that WebDataset readers skip (``.``/``_``-prefixed): Ray Data and Hugging Face
    ``datasets`` open every other file of the folder as a tar."""
    problems = []
    want = {s["name"].rsplit("/", 1)[-1]: s["samples"] for s in shards}
    sizes = read_sizes(out)
    if sizes is not None and sizes != want:
        problems.append("metadata/sizes.json disagrees with the manifest's shard sample counts")
    for shard in shards:
        path = out / stats_name(shard["name"])
        if path.is_file() and json.loads(path.read_text()).get("successes") != shard["samples"]:
            problems.append(f"{stats_name(shard['name'])}: successes differ from the manifest")
    length = out / SHARDS / LENGTH
    if length.is_file() and int(length.read_text().strip() or -1) != sum(want.values()):
        problems.append(f"{SHARDS}/{LENGTH} disagrees with the manifest's sample total")
    named = {s["name"] for s in shards}
    if (out / SHARDS).is_dir():
        stray = sorted(f"{SHARDS}/{p.name}" for p in (out / SHARDS).iterdir()
                       if not p.name.startswith((".", "_")) and f"{SHARDS}/{p.name}" not in named)
        if stray:
            problems.append(f"the shards folder holds files WebDataset readers would open as "
                            f"tars: {', '.join(stray[:5])}")
    return problems


def _tar_keys(path: Path, problems: list[str]) -> list[str]:
    """Sample keys of a shard in order; problems gets a line for a sample missing its ``.json``
    or whose members differ from the shard's first sample's."""
    keys: list[str] = []
    members: dict[str, set[str]] = {}
    try:
        with tarfile.open(path) as tar:
            for member in tar:
                key, ext = split_member(member.name)
                if key not in members:
                    keys.append(key)
                    members[key] = set()
                members[key].add(ext)
    except tarfile.TarError as e:
        problems.append(f"{path.name}: unreadable tar: {e}")
    first = None
    for key, exts in members.items():
        if "json" not in exts:
            problems.append(f"{path.name}: sample {key} has no .json")
        first = exts if first is None else first
        if exts != first:
            problems.append(f"{path.name}: sample {key} has members {sorted(exts)}, the shard's "
                            f"first sample {sorted(first)}")
            break
    return keys
