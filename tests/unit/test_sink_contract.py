"""Pairs carry the img2dataset/DataComp contract beside our columns; JSON members never hold a
null (readers that infer types from the first samples would type the field null)."""

import json
import tarfile

import pyarrow as pa
import pyarrow.parquet as pq

from engine.runner.unit_read_write import conform
from engine.sinks import WebDatasetSink
from engine.sinks.contract import derive_uid
from schemas import PAIR_CONTRACT_SCHEMA, PAIR_METADATA_SCHEMA, PAIR_SCHEMA, validate_table


def records(uids=None):
    n = 4
    table = pa.table({
        "key": [f"{i:024x}" for i in range(n)], "url": [f"https://example.com/{i}.jpg" for i in range(n)],
        "caption": [f"caption {i}" for i in range(n)],
        "image": [b"\xff\xd8\xff" + bytes([i]) * 10 for i in range(n)],
        "image_format": ["jpeg"] * n, "width": pa.array([64] * n, pa.int32()),
        "height": pa.array([48] * n, pa.int32()), "orig_width": pa.array([640] * n, pa.int32()),
        "orig_height": pa.array([480] * n, pa.int32()), "sha256": ["ab" * 32] * n,
        "http_status": pa.array([200] * n, pa.int32()),
        "dup_cluster": [None, None, "c1", None],  # null in the first samples, a string later
        "clip_score": [0.3, None, 0.25, float("nan")]})
    if uids is not None:
        table = table.append_column("uid", pa.array(uids, pa.string()))
    return conform(table, PAIR_SCHEMA)  # as the runner hands records to the sink


def written(tmp_path, table):
    (part,) = WebDatasetSink(samples_per_shard=10).write(table, str(tmp_path))
    with tarfile.open(tmp_path / part.tar) as tar:
        metas = [json.loads(tar.extractfile(m).read()) for m in tar.getmembers()
                 if m.name.endswith(".json")]
    return metas, pq.read_table(tmp_path / part.parquet)


def test_contract_columns_come_first_beside_ours(tmp_path):
    metas, sidecar = written(tmp_path, records())
    assert sidecar.column_names[:len(PAIR_CONTRACT_SCHEMA)] == PAIR_CONTRACT_SCHEMA.names
    validate_table(sidecar, PAIR_METADATA_SCHEMA)
    row = sidecar.to_pylist()[0]
    assert row["status"] == "success" and row["error_message"] is None
    assert (row["original_width"], row["orig_width"], row["width"]) == (640, 640, 64)
    assert row["text"] == row["caption"] and row["http_status"] == 200
    assert row["uid"] == derive_uid(row["key"]) and len(row["uid"]) == 32
    assert metas[0]["status"] == "success" and metas[0]["uid"] == row["uid"]


def test_json_members_leave_nulls_and_nan_out_and_keep_types(tmp_path):
    metas, sidecar = written(tmp_path, records())
    assert all(None not in m.values() for m in metas)
    assert "dup_cluster" not in metas[0] and metas[2]["dup_cluster"] == "c1"
    assert metas[0]["clip_score"] == 0.3 and "clip_score" not in metas[1] and "clip_score" not in metas[3]
    assert "error_message" not in metas[0] and "text" not in metas[0]  # Parquet-only column
    assert sidecar.column("dup_cluster").null_count == 3  # the sidecar keeps every column


def test_uid_from_the_input_is_kept(tmp_path):
    given = ["0123456789ABCDEF0123456789abcdef", None, "not-a-uid", "f" * 32]
    _, sidecar = written(tmp_path, records(uids=given))
    uids = sidecar.column("uid").to_pylist()
    keys = sidecar.column("key").to_pylist()
    assert uids == ["0123456789abcdef0123456789abcdef", derive_uid(keys[1]), derive_uid(keys[2]),
                    "f" * 32]


def test_status_from_an_input_is_replaced_by_img2datasets_word(tmp_path):
    table = records().append_column("status", pa.array(["whatever"] * 4))
    _, sidecar = written(tmp_path, table)
    assert sidecar.column_names.count("status") == 1
    assert set(sidecar.column("status").to_pylist()) == {"success"}
