"""Model and safety stages inside a real run: blocklisted bytes reach no shard, reject or log;
the manifest names every model and flags the random one."""

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.job import Job
from engine.jobfile import build_job
from engine.runner import run_job
from engine.sinks import WebDatasetSink
from engine.sources.parquet import ParquetSource
from tests.conftest import corpus

pytestmark = pytest.mark.integration

PHOTOS = ["hopper.jpg", "flower.jpg", "flower2.jpg", "hopper.png", "flower.webp"]


def test_blocklisted_bytes_go_nowhere_and_models_are_recorded(tmp_path, ray_local):
    folder = corpus("pillow-images")
    images = [(folder / name).read_bytes() for name in PHOTOS]
    blocked = images[1]  # flower.jpg
    captions = [
        "portrait of a woman in uniform, mail grace@navy.example.mil",
        "a red flower",
        "yellow flowers in a garden",
        "a portrait photograph",
        "a flower in the sun",
    ]
    inputs = tmp_path / "in"
    inputs.mkdir()
    pq.write_table(
        pa.table(
            {
                "url": [f"https://img.example.com/{i}.jpg" for i in range(5)],
                "caption": captions,
                "image": pa.array(images, pa.binary()),
            }
        ),
        inputs / "part-000.parquet",
    )
    (tmp_path / "sha256.txt").write_text(hashlib.sha256(blocked).hexdigest() + "\n")
    # the test Ray has 2 CPUs: the two model actor pools (nsfw, clip) take half a CPU each
    params = {"models": "test-tiny", "blocklist_sha256": str(tmp_path / "sha256.txt"), "model_cpus": "0.5",
              "recaption": "false"}
    pq.write_table(pa.table({"url": ["http://example.invalid/a.jpg"]}), tmp_path / "urls.parquet")
    pairs = build_job("pairs", [str(tmp_path / "urls.parquet")], str(tmp_path / "unused"), params)
    # the pairs job's blocklist and model stages, as its chain lists them
    model_stages = ("blocklist", "language", "pii", "toxicity", "nsfw", "faces", "clip_score")
    stages = [s for s in pairs.stages if s.name in model_stages]
    notes = [n for n in pairs.notes if "clip" in n]
    assert [s.name for s in stages] == ["blocklist", "language", "pii", "toxicity", "nsfw", "faces", "clip_score"]
    out = tmp_path / "out"
    job = Job(
        name="safety",
        source=ParquetSource([str(inputs)]),
        stages=stages,
        sink=WebDatasetSink(samples_per_shard=10),
        out=str(out),
        unit_size=3,
        notes=notes,
    )
    manifest = run_job(job, workers=1)

    assert manifest["totals"]["inputs"] == 5
    assert manifest["totals"]["rejected"] == 1 and manifest["totals"]["kept"] == 4
    rejects = [r for p in sorted((out / "rejects").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert [(r["stage"], r["reason"]) for r in rejects] == [("blocklist", "blocklist_sha256")]
    assert all(not isinstance(v, bytes) for v in rejects[0].values())

    # the blocked picture's bytes are in no output file and no Ray log. Windows come from its
    # compressed pixel data (after the last JPEG start-of-scan marker): its EXIF block, thumbnail
    # included, is shared byte for byte with flower.webp, which is kept.
    scan = blocked.rindex(b"\xff\xda") + 32
    windows = [blocked[i : i + 64] for i in range(scan, len(blocked) - 64, 1024)]
    assert len(windows) > 10
    logs = Path(ray_local._private.worker._global_node.get_logs_dir_path())
    for path in [*tmp_path.rglob("*"), *logs.rglob("*")]:  # this run's outputs and every Ray log
        if path.is_file() and not path.is_relative_to(inputs):
            data = path.read_bytes()
            assert not any(w in data for w in windows), f"blocked bytes found in {path}"

    kept = [r for p in sorted((out / "metadata").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert len(kept) == 4
    by_caption = {r["caption"]: r for r in kept}
    assert "portrait of a woman in uniform, mail [EMAIL]" in by_caption  # PII redacted
    hopper = by_caption["portrait of a woman in uniform, mail [EMAIL]"]
    assert hopper["face_count"] == 1 and hopper["face_blurred"] is True
    assert all(r["language"] == "en" and r["nsfw_score"] < 0.2 for r in kept)
    assert all(len(r["clip_image_emb"]) == 32 and -1 <= r["clip_score"] <= 1 for r in kept)

    models = {m["name"]: m for m in manifest["models"]}
    assert models["clip-tiny-random"]["random_init"] is True
    assert models["clip-tiny-random"]["stage"] == "clip_score"
    assert {"nudenet-320n", "opencv-haar-frontalface", "fasttext-lid176-lite", "alt-profanity-check"} <= set(models)
    assert not any(m["random_init"] for n, m in models.items() if n != "clip-tiny-random")
    recorded = json.loads((out / "manifest.json").read_text())
    assert any("RANDOM weights" in note for note in recorded["job"]["notes"])
