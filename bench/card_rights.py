"""The card's rights section at finalize: per-unit rights counts merged into ``stats.json``
against the exact path that reads every sidecar's licence/rights columns, on one synthetic folder.

    .venv/bin/python bench/card_rights.py [--records 20000 200000] [--unit-size 2000] [--kind pairs docs]

For each size, units of ``--unit-size`` kept records are written as Parquet sidecars: pairs with
``license`` (eight ids and null) and ``ai_generated`` (true/false/null) beside a caption column,
or documents in the OBELICS form (``general_metadata`` with ``rights`` and ``removed_images``,
``metadata`` with three images' rights). Each unit's counts come from the runner's own
``sidecar_rights`` (timed: the worker-side cost) and are added with ``merge_rights`` (timed: the
driver's merge at finalize) into ``stats.json``. Then ``rights_summary`` (ours, what the card
calls: reads ``stats.json``) against ``rights_summary(exact=True)`` (the baseline: the card's
path before, every sidecar read on the driver), asserted equal.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import cpu_call as cpu  # noqa: E402
from bench.common import emit  # noqa: E402
from engine.output.rights import merge_rights, rights_summary, sidecar_rights  # noqa: E402

LICENSES = [None, "cc-by-4.0", "cc-by-sa-4.0", "cc0-1.0", "cc-by-nc-4.0", "mit", "pdm", "cc-by-nd-4.0",
            "other"]
FLAGS = [True, False, None]


def pairs_unit(rng: np.random.Generator, n: int) -> pa.Table:
    licenses = [LICENSES[i] for i in rng.choice(len(LICENSES), n, p=[0.6] + [0.05] * 8)]
    flags = [FLAGS[i] for i in rng.choice(3, n, p=[0.02, 0.5, 0.48])]
    return pa.table({"key": [f"{i:09d}" for i in range(n)], "caption": ["a photo of a thing"] * n,
                     "license": pa.array(licenses, pa.string()), "ai_generated": pa.array(flags, pa.bool_())})


def docs_unit(rng: np.random.Generator, n: int) -> pa.Table:
    general, metadata = [], []
    for lic, img, flag, removed in zip(rng.integers(0, len(LICENSES), n), rng.integers(0, len(LICENSES), (n, 3)),
                                       rng.integers(0, 3, (n, 3)), rng.random(n) < 0.1, strict=True):
        general.append(json.dumps({"url": "u", "rights": {"license": LICENSES[lic]},
                                   "removed_images": [{"reason": "tdm_reservation"}] if removed else []}))
        metadata.append(json.dumps([None] + [{"src": "s", "rights": {"license": LICENSES[i],
                                                                    "ai_generated": FLAGS[f]}}
                                             for i, f in zip(img, flag, strict=True)]))
    return pa.table({"general_metadata": general, "metadata": metadata})


def build(out: Path, records: int, unit_size: int, kind: str) -> dict:
    """Write the folder; return the worker-side and merge seconds."""
    rng = np.random.default_rng(0)
    (out / "metadata").mkdir(parents=True)
    rights: dict = {}
    shards, unit_seconds, merge_seconds = [], 0.0, 0.0
    for index in range(0, records, unit_size):
        table = (pairs_unit if kind == "pairs" else docs_unit)(rng, min(unit_size, records - index))
        name = f"metadata/train-{len(shards):05d}.parquet"
        pq.write_table(table, out / name)
        shards.append({"name": name.replace("metadata", "shards").replace(".parquet", ".tar"),
                       "parquet": name})
        start = time.process_time()
        part = json.loads(json.dumps(sidecar_rights([out / name])))  # as the unit's _DONE.json carries it
        unit_seconds += time.process_time() - start
        start = time.process_time()
        merge_rights(rights, part)
        merge_seconds += time.process_time() - start
    (out / "manifest.json").write_text(json.dumps({"shards": shards, "stages": {}}))
    (out / "stats.json").write_text(json.dumps({"stages": {}, "rights": rights}))
    units = -(-records // unit_size)
    return {"units": units, "unit_counts_cpu_s": round(unit_seconds, 3), "merge_cpu_s": round(merge_seconds, 5),
            "rights_json_bytes": len(json.dumps(rights))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--unit-size", type=int, default=2_000)
    parser.add_argument("--kind", nargs="+", default=["pairs", "docs"], choices=["pairs", "docs"])
    args = parser.parse_args()
    for kind in args.kind:
        for records in args.records:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "out"
                built = build(out, records, args.unit_size, kind)
                ours, merged = cpu(lambda out=out: rights_summary(out))
                base, exact = cpu(lambda out=out: rights_summary(out, exact=True))
                assert merged == exact and sum(merged["licenses"].values()) == records
                emit(bench="card_rights", kind=kind, records=records, ours_cpu_s=round(ours, 4),
                     baseline_cpu_s=round(base, 3), ratio=round(base / ours, 1), **built)


if __name__ == "__main__":
    main()
