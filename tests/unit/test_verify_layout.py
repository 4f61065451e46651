"""``loomery verify`` checks the count files and that the shards folder holds only what
WebDataset readers (Ray Data, Hugging Face datasets) can open."""

import json

from engine.output.verify import verify_output
from engine.sinks.counts import write_counts
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
