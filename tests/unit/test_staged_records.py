"""A unit's staged records between phases: written as Arrow IPC, read back whole; a unit staged
as Parquet by an earlier version is read too, so such a run resumes."""

import pyarrow as pa
import pyarrow.parquet as pq

from engine.runner.partition_files import write_ipc
from engine.runner.unit_read_write import LEGACY_RECORDS, RECORDS, read_records


def _records() -> pa.Table:
    return pa.table({"key": ["a", "b"], "image": [b"\xff\xd8x", None], "seq": pa.array([0, 1], pa.int64())})


def test_staged_records_read_back_equal(tmp_path):
    write_ipc(_records(), tmp_path / RECORDS)
    assert read_records(tmp_path / RECORDS).equals(_records())


def test_a_unit_staged_as_parquet_by_an_earlier_version_is_read(tmp_path):
    pq.write_table(_records(), tmp_path / LEGACY_RECORDS, compression="zstd")
    assert not (tmp_path / RECORDS).exists()
    assert read_records(tmp_path / RECORDS).equals(_records())
