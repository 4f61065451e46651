"""``loomery verify`` checks the count files and that the shards folder holds only what
WebDataset readers (Ray Data, Hugging Face datasets) can open."""

import json

import pyarrow as pa
import pyarrow.parquet as pq

from engine.keys import split_member
from engine.output.folder import OutputFolder, iter_tar_samples
from engine.output.verify import verify_output
from engine.sinks.counts import write_counts
from engine.sinks.files import DeterministicTar, write_parquet
from tests.unit.output_fixture import write_output


def output(tmp_path):
    out = write_output(tmp_path / "run", kept=12, shards=2)
    write_counts(out, json.loads((out / "manifest.json").read_text())["shards"])
    return out


def test_a_sound_folder_passes(tmp_path):
    out = output(tmp_path)
    assert verify_output(out) == []
    assert (out / "shards" / "__len__").read_text().strip() == "12"


def test_a_stray_file_beside_the_tars_is_reported(tmp_path):
    out = output(tmp_path)
    (out / "shards" / "sizes.json").write_text("{}")
    (out / "shards" / ".hidden").write_text("readers skip dot files")
    problems = verify_output(out)
    assert len(problems) == 1 and "shards/sizes.json" in problems[0]


def test_count_files_that_disagree_are_reported(tmp_path):
    out = output(tmp_path)
    sizes = json.loads((out / "metadata" / "sizes.json").read_text())
    sizes[next(iter(sizes))] += 1
    (out / "metadata" / "sizes.json").write_text(json.dumps(sizes))
    (out / "shards" / "__len__").write_text("13\n")
    problems = verify_output(out)
    assert any("sizes.json" in p for p in problems) and any("__len__" in p for p in problems)


def test_a_dot_in_a_folder_name_stays_in_the_sample_key(tmp_path):
    """WebDataset's rule: a sample key ends at the first dot of the file name, not of the path.
    verify split at the path's first dot, so ``crawl.v2/KEY.jpg`` made every sample ``crawl``."""
    assert split_member("crawl.v2/0a1b.0.jpg") == ("crawl.v2/0a1b", "0.jpg")
    assert split_member("0a1b.json") == ("0a1b", "json")
    out = output(tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    for shard in manifest["shards"]:
        samples = list(iter_tar_samples(out / shard["name"]))
        tar = DeterministicTar(str(out / shard["name"]))
        for sample in samples:
            for ext, data in sample.members.items():
                tar.add(f"crawl.v2/{sample.key}.{ext}", data)
        written = tar.close()
        sidecar = pq.read_table(out / shard["parquet"])
        keys = pa.array(["crawl.v2/" + k for k in sidecar.column("key").to_pylist()])
        side = write_parquet(sidecar.set_column(sidecar.column_names.index("key"), "key", keys),
                             str(out / shard["parquet"]))
        shard.update(bytes=written.bytes, sha256=written.sha256, parquet_bytes=side.bytes,
                     parquet_sha256=side.sha256)
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert verify_output(out) == []
    keys = [s.key for s in OutputFolder(out).samples()]
    assert len(set(keys)) == 12 and all(k.startswith("crawl.v2/") for k in keys)
