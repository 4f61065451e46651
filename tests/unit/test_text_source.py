"""The text collection source (Parquet row ranges and JSONL line ranges, numbered across files)
and the duplicates sink's table (clusters numbered by keeper rank, keeper first)."""

import json

import pyarrow as pa
import pyarrow.parquet as pq

from engine import columns as C
from engine.sinks.duplicates import DuplicatesSink
from engine.sources.text import TextCollectionSource


def test_units_number_documents_across_parquet_and_jsonl(tmp_path):
    pq.write_table(pa.table({"id": [f"p{i}" for i in range(5)], "text": [f"t {i}" for i in range(5)]}),
                   tmp_path / "a.parquet", row_group_size=2)
    lines = [json.dumps({"id": 10, "text": ["two", "parts", 3]}), "", "[1, 2]", "{broken",
             json.dumps({"id": 11, "text": 7}), json.dumps({"id": 12, "text": "last"})]
    (tmp_path / "b.jsonl").write_text("\n".join(lines) + "\n")
    source = TextCollectionSource([str(tmp_path)])
    units = source.plan(2)
    assert [(u.path.endswith(".parquet"), u.first_seq, u.size) for u in units] == [
        (True, 0, 2), (True, 2, 2), (True, 4, 1), (False, 5, 2), (False, 7, 2), (False, 9, 1)]
    tables = [source.read(u) for u in units]
    rows = [r for t in tables for r in t.to_pylist()]
    assert [r["seq"] for r in rows] == list(range(10)) and [r["key"] for r in rows] == [str(i) for i in range(10)]
    assert [r["id"] for r in rows[:5]] == [f"p{i}" for i in range(5)] and rows[2]["text"] == "t 2"
    assert rows[5]["id"] == 10 and rows[5]["text"] == "two parts"  # strings of a list, joined
    assert [r[C.REJECT_REASON] for r in rows[5:]] == [None, "invalid_json", "invalid_json", None, None]
    assert rows[8]["text"] is None and rows[9]["text"] == "last"  # a number is no text


def test_duplicates_table_numbers_clusters_by_keeper_rank(tmp_path):
    """Rows as NearDuplicates(reject=False) marks them: keepers 2 and 4, members 0 and 3."""
    units = [
        pa.table({"seq": pa.array([0, 1, 2], pa.int64()), "id": ["a", "b", "c"], "text": ["x", "y", "longer"],
                  "dup_cluster": ["2", None, "2"], "dup_of_key": ["2", None, None],
                  "dup_similarity": [0.9, None, None]}),
        pa.table({"seq": pa.array([3, 4, 5], pa.int64()), "id": ["d", "e", "f"], "text": ["z", "the longest", "v"],
                  "dup_cluster": ["4", "4", None], "dup_of_key": ["4", None, None],
                  "dup_similarity": [0.8, None, None]}),
    ]
    expected = {
        "first": [("c", 0, None, None, 2), ("a", 0, "c", 0.9, 0), ("e", 1, None, None, 4), ("d", 1, "e", 0.8, 3)],
        "longest": [("e", 0, None, None, 4), ("d", 0, "e", 0.8, 3), ("c", 1, None, None, 2), ("a", 1, "c", 0.9, 0)],
    }
    for keep, rows in expected.items():
        sink = DuplicatesSink(str(tmp_path / keep), keep=keep)
        for records in units[::-1]:  # units finish in any order
            assert sink.write(records, str(tmp_path)) == []
        counts = sink.finish(tmp_path / keep)
        table = pq.read_table(tmp_path / keep / "duplicates.parquet")
        assert table.column_names == ["id", "cluster", "dup_of", "similarity", "seq"]
        assert [tuple(r.values()) for r in table.to_pylist()] == rows
        assert counts == {"clustered": 4, "clusters": 2, "duplicates": 2}
