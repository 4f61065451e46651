"""A unit's staged records between phases: written as Arrow IPC, read back whole; a unit staged
as Parquet by an earlier version is read too, so such a run resumes. Once the next phase has
published the unit they are removed, and a retried task does not look for them again."""

import pyarrow as pa
import pyarrow.parquet as pq

from engine.runner.apply_stages import prepare
from engine.runner.execute import ReadStep
from engine.runner.partition_files import write_ipc
from engine.runner.phases import Phase
from engine.runner.unit_read_write import LEGACY_RECORDS, RECORDS, WriteUnit, read_records
from engine.runner.workdir import WorkDir
from engine.sinks import WebDatasetSink
from engine.sources.base import Unit


def _records() -> pa.Table:
    return pa.table({"key": ["a", "b"], "image": [b"\xff\xd8x", None], "seq": pa.array([0, 1], pa.int64())})


def test_staged_records_read_back_equal(tmp_path):
    write_ipc(_records(), tmp_path / RECORDS)
    assert read_records(tmp_path / RECORDS).equals(_records())


def test_a_unit_staged_as_parquet_by_an_earlier_version_is_read(tmp_path):
    pq.write_table(_records(), tmp_path / LEGACY_RECORDS, compression="zstd")
    assert not (tmp_path / RECORDS).exists()
    assert read_records(tmp_path / RECORDS).equals(_records())


def _final_write(out) -> WriteUnit:
    return WriteUnit(Phase(index=1), str(out), WebDatasetSink(samples_per_shard=10), order=[], ranges={})


def test_a_retried_task_passes_by_a_unit_its_first_attempt_published(tmp_path):
    """A worker killed after publishing a unit but before returning gets its task retried; the
    staged records that attempt read are gone by then, so the retry must not read them."""
    work = WorkDir(tmp_path)
    tmp = work.new_tmp_unit(1, 7)
    work.publish_unit(1, 7, tmp, {"inputs": 2, "kept": 2, "rejected": 0, "parts": []})

    def read_nothing(batch, unit=None):
        raise AssertionError("a published unit's input was read again")

    step = ReadStep(read_nothing, _final_write(tmp_path))
    table = step(pa.table({"unit": [7]}))
    assert table.num_rows == 0
    assert step.published.to_pylist() == [{"unit": 7, "rows": 2}]


def test_publishing_a_unit_removes_what_the_phase_before_left_for_it(tmp_path):
    work = WorkDir(tmp_path)
    for unit in (3, 4):
        staged = work.new_tmp_unit(0, unit)
        write_ipc(_records(), staged / RECORDS)
        write_ipc(_records(), staged / "sig-0-0000.arrow")  # what the global step read
        work.publish_unit(0, unit, staged, {"rows": 2})
    pairs = pa.table({"key": ["a", "b"], "caption": ["a cat", "a dog"], "image": [b"\xff\xd8x", b"\xff\xd8y"]})
    _final_write(tmp_path)(prepare(pairs, Unit(3, "in.parquet", 0, 2, 0)))
    assert work.is_done(1, 3)
    assert [p.name for p in work.unit(0, 3).iterdir()] == ["_DONE.json"]  # spent, but its marker
    assert work.is_done(0, 3) and (work.unit(0, 4) / RECORDS).exists()  # unit 4: not yet
