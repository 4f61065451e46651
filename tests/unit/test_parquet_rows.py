"""A row range read from a Parquet file equals the same rows of the whole table, whatever the
row groups and where the range starts and stops in them."""

import pyarrow as pa
import pyarrow.parquet as pq

from engine.sources.parquet_rows import read_rows


def test_every_row_range_equals_the_slice_of_the_whole_table(tmp_path):
    rows = 103
    table = pa.table({"image": [bytes([i]) * (i % 5) if i % 11 else None for i in range(rows)],
                      "caption": [f"caption {i}" for i in range(rows)],
                      "n": pa.array(range(rows), pa.int64())})
    for group in (7, 50, 103, 500):
        path = tmp_path / f"g{group}.parquet"
        pq.write_table(table, path, row_group_size=group)
        file = pq.ParquetFile(path)
        for start in range(0, rows + 2, 6):
            for length in (0, 1, 13, 64, 200):
                stop = min(rows + 5, start + length)
                got = read_rows(file, start, stop)
                assert got.equals(table.slice(start, max(0, min(stop, rows) - start))), (group, start, stop)
        assert read_rows(file, 10, 40, ["n"]).column("n").to_pylist() == list(range(10, 40))
        assert read_rows(file, rows, rows + 10, ["n", "caption"]).column_names == ["n", "caption"]
