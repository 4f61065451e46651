"""Schemas: validation errors name the column and the record; the manifest checker."""

import pyarrow as pa
import pytest

from schemas import (
    DOCUMENT_SCHEMA,
    PAIR_SCHEMA,
    REJECT_SCHEMA,
    SchemaError,
    check_interleaving,
    check_manifest,
    validate_table,
)


def test_missing_column_is_named():
    table = pa.table({"key": ["a"], "url": ["u"]})
    with pytest.raises(SchemaError, match="'caption' is missing"):
        validate_table(table, PAIR_SCHEMA)


def test_wrong_type_names_column_and_types():
    table = pa.table({f.name: pa.nulls(1, f.type) for f in REJECT_SCHEMA})
    table = table.set_column(0, "key", pa.array(["k1"]))
    for name in ("stage", "reason"):
        table = table.set_column(REJECT_SCHEMA.get_field_index(name), name, pa.array(["x"]))
    table = table.set_column(REJECT_SCHEMA.get_field_index("score"), "score", pa.array(["high"]))
    with pytest.raises(SchemaError, match="'score' has type string, expected double"):
        validate_table(table, REJECT_SCHEMA)


def test_null_in_required_column_names_the_record():
    table = pa.table({f.name: pa.nulls(2, f.type) for f in REJECT_SCHEMA})
    table = table.set_column(0, "key", pa.array(["k0", "k1"]))
    table = table.set_column(REJECT_SCHEMA.get_field_index("stage"), "stage", pa.array(["s", None]))
    table = table.set_column(REJECT_SCHEMA.get_field_index("reason"), "reason", pa.array(["r", "r"]))
    for name in ("unit", "seq"):
        table = table.set_column(REJECT_SCHEMA.get_field_index(name), name, pa.array([0, 1]))
    with pytest.raises(SchemaError, match=r"'stage' is null in record #1 \(key 'k1'\)"):
        validate_table(table, REJECT_SCHEMA)


def test_extra_columns_allowed_unless_forbidden():
    table = pa.table({f.name: pa.nulls(1, f.type) for f in PAIR_SCHEMA}).set_column(
        0, "key", pa.array(["k"])).append_column("clip_score", pa.array([0.3]))
    validate_table(table, PAIR_SCHEMA)
    with pytest.raises(SchemaError, match="unexpected column"):
        validate_table(table, PAIR_SCHEMA, allow_extra=False)


def test_schemas_are_versioned():
    for schema in (PAIR_SCHEMA, DOCUMENT_SCHEMA, REJECT_SCHEMA):
        assert schema.metadata[b"loomery.schema_version"]


@pytest.mark.parametrize("texts,images,problem", [
    (["a", None], [None, b"x"], None),
    (["a", "b"], [None], "positions"),
    (["a", None], [b"x", b"y"], "position 0 holds both"),
    ([None], [None], "position 0 holds neither"),
])
def test_document_interleaving(texts, images, problem):
    result = check_interleaving(texts, images)
    assert (result is None) if problem is None else (problem in result)


def test_manifest_totals_must_add_up():
    manifest = {"schema_version": "1", "job": {}, "models": [], "stages": {}, "shards": [],
                "rejects": [], "totals": {"inputs": 10, "kept": 6, "rejected": 3}}
    assert any("do not add up" in p for p in check_manifest(manifest))
    manifest["totals"]["rejected"] = 4
    assert check_manifest(manifest) == []
    manifest["shards"].append({"name": "shards/00000.tar", "samples": 1})
    assert any("shards[0] lacks" in p for p in check_manifest(manifest))
