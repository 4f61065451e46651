"""NearDuplicates as a job's global stage, through the runner: caption and image duplicates
across units land in one cluster with one keeper, and a run killed during the global step and
started again ends with the same kept and rejected sets as an uninterrupted run."""

import io
import os
import subprocess
import sys
import textwrap
import warnings

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from engine.job import Job
from engine.runner import run_job
from engine.sinks import WebDatasetSink
from engine.sources.parquet import ParquetSource
from filters.dedup import NearDupConfig, NearDuplicates
from tests.conftest import ROOT, corpus

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore:Image appears to be a malformed MPO")]

PHOTOS = ["hopper.jpg", "flower.jpg", "flower2.jpg", "iptc.jpg", "exif-72dpi-int.jpg"]


def _jpeg(image: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", **kw)
    return buf.getvalue()


def make_input(folder) -> tuple[str, dict[str, str]]:
    """Rows: each photo once with its own caption, then (in later units) a resized copy with a
    new caption, a caption copy on another photo's... see ``expect``."""
    root = corpus("pillow-images")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        images = {p: Image.open(root / p).convert("RGB") for p in PHOTOS}
    caps = {p: f"a photograph number {i} " + " ".join(f"{p[:3]}{j}" for j in range(30)) for i, p in enumerate(PHOTOS)}
    rows, kind = [], []
    for p in PHOTOS:  # originals
        rows.append((f"http://x/{p}", _jpeg(images[p]), caps[p]))
        kind.append("original")
    for p in PHOTOS:  # resized + re-encoded copy with an unrelated caption: image duplicate
        w, h = images[p].size
        rows.append(
            (
                f"http://y/{p}",
                _jpeg(images[p].resize((w // 2, h // 2)), quality=40),
                f"completely different words {p} " * 3,
            )
        )
        kind.append("image_dup")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other = Image.open(root / "sugarshack_bad_mpo_header.jpg").convert("RGB")
    rows.append(("http://z/1", _jpeg(other), caps[PHOTOS[0]] + " !"))  # caption duplicate
    kind.append("caption_dup")
    rows.append(("http://z/2", _jpeg(other.rotate(90, expand=True)), "a new one entirely"))
    kind.append("unique")
    path = folder / "pairs.parquet"
    pq.write_table(
        pa.table({"url": [r[0] for r in rows], "image": [r[1] for r in rows], "caption": [r[2] for r in rows]}),
        path,
        row_group_size=4,
    )
    return str(path), kind


def dedup_job(path: str, out, records_per_bucket: int | None = None) -> Job:
    return Job(
        name="dedup-test",
        source=ParquetSource([path]),
        stages=[NearDuplicates(text_column="caption", image=True,
                               config=NearDupConfig(threshold=0.8, buckets=4, records_per_bucket=records_per_bucket))],
        sink=WebDatasetSink(samples_per_shard=100),
        out=str(out),
        unit_size=3,
    )


def kept_and_rejected(out):
    kept = sorted(k for p in sorted((out / "metadata").glob("*.parquet")) for k in pq.read_table(p)["key"].to_pylist())
    rejects = [pq.read_table(p) for p in sorted((out / "rejects").glob("*.parquet"))]
    table = pa.concat_tables(rejects) if rejects else None
    rejected = (
        sorted(zip(table["key"].to_pylist(), table["reason"].to_pylist(), table["dup_of"].to_pylist(), strict=True))
        if table
        else []
    )
    return kept, rejected


def test_near_duplicates_across_units_in_a_job(ray_local, tmp_path):
    path, kind = make_input(tmp_path)
    out = tmp_path / "out"
    manifest = run_job(dedup_job(path, out))
    kept, rejected = kept_and_rejected(out)
    assert manifest["totals"]["inputs"] == len(kind) == len(kept) + len(rejected)
    source = pq.read_table(path)
    from engine.keys import record_key

    keys = [record_key(f"pairs.parquet#{i}") for i in range(source.num_rows)]
    by_key = {k: (reason, dup_of) for k, reason, dup_of in rejected}
    for i, k in enumerate(keys):
        if kind[i] in ("original", "unique"):
            assert k in kept, (i, kind[i], by_key.get(k))
        else:  # copies in later units point at the original of their photo / caption
            reason, dup_of = by_key[k]
            assert reason == "near_duplicate"
            target = i - len(PHOTOS) if kind[i] == "image_dup" else 0
            assert dup_of == keys[target], (i, kind[i])
    clusters = pa.concat_tables([pq.read_table(p) for p in (out / "metadata").glob("*.parquet")])
    assert "dup_cluster" in clusters.column_names
    assert [p["buckets"] for p in manifest["phases"]] == [4, None]
    # More buckets for a larger run (one per 2 records here) change where pairs are found, not which.
    more = tmp_path / "more"
    manifest = run_job(dedup_job(path, more, records_per_bucket=2))
    assert [p["buckets"] for p in manifest["phases"]] == [len(kind) // 2, None]
    assert kept_and_rejected(more) == (kept, rejected)


RESUME_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {here!r})
    from test_dedup_job import dedup_job
    from engine.runner import run_job
    run_job(dedup_job({path!r}, {out!r}), workers=2)
""")


@pytest.mark.slow  # three runs, two of them in fresh processes with their own Ray
def test_resumed_run_finds_the_same_duplicates(ray_local, tmp_path):
    path, _ = make_input(tmp_path)
    whole = tmp_path / "whole"
    run_job(dedup_job(path, whole))
    resumed = tmp_path / "resumed"
    script = RESUME_SCRIPT.format(root=str(ROOT), here=str(ROOT / "tests" / "integration"), path=path, out=str(resumed))
    for failpoint in ("unit_published:2", "global_bucket:2"):
        env = {**os.environ, "LOOMERY_FAILPOINT": failpoint}
        proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=300)
        assert proc.returncode != 0  # killed at the failpoint
        assert not (resumed / "manifest.json").exists()
    run_job(dedup_job(path, resumed))
    assert kept_and_rejected(resumed) == kept_and_rejected(whole)
    assert any(r[1] == "near_duplicate" for r in kept_and_rejected(resumed)[1])
