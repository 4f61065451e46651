"""The card's rights counts: per-unit counts merged at finalize equal one pass over every
sidecar, in the same order (ties between licences keep the order first seen)."""

import json

import pyarrow as pa
import pyarrow.parquet as pq

from engine.output.rights import merge_rights, rights_markdown, rights_summary, sidecar_rights


def pairs_sidecar(path, licenses, flags):
    pq.write_table(pa.table({"key": [str(i) for i in range(len(licenses))],
                             "license": pa.array(licenses, pa.string()),
                             "ai_generated": pa.array(flags, pa.bool_())}), path)
    return path


def docs_sidecar(path, docs):
    general = [json.dumps(d["general"]) for d in docs]
    metadata = [json.dumps(d["positions"]) for d in docs]
    pq.write_table(pa.table({"general_metadata": general, "metadata": metadata}), path)
    return path


def folder(tmp_path, units, stats_rights):
    """An output folder whose shards are ``units`` (lists of sidecar paths) flattened in order."""
    shards = [{"name": f"shards/{i}.tar", "parquet": p.name} for i, p in
              enumerate(p for unit in units for p in unit)]
    manifest = {"stages": {"rights": {"in": 9, "kept": 6, "rejected": 3,
                                      "reasons": {"tdm_reservation": 2, "too_small": 1}}},
                "shards": shards}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    if stats_rights is not None:
        (tmp_path / "stats.json").write_text(json.dumps({"stages": {}, "rights": stats_rights}))
    return tmp_path


def merged(units):
    total = {}
    for unit in units:
        total = json.loads(json.dumps(merge_rights(total, sidecar_rights(unit))))  # via JSON, as _DONE.json
    return total


def test_merged_pair_counts_equal_the_exact_pass_ties_included(tmp_path):
    units = [[pairs_sidecar(tmp_path / "a.parquet", ["cc0-1.0", None, None], [True, None, False]),
              pairs_sidecar(tmp_path / "b.parquet", ["cc-by-4.0"], [None])],
             [],  # a unit that kept nothing
             [pairs_sidecar(tmp_path / "c.parquet", ["cc-by-4.0", "cc0-1.0"], [False, False])]]
    out = folder(tmp_path, units, merged(units))
    fast, exact = rights_summary(out), rights_summary(out, exact=True)
    assert fast == exact
    assert list(fast["licenses"].items()) == [("cc0-1.0", 2), ("none", 2), ("cc-by-4.0", 2)]
    assert fast["ai_generated"] == {"true": 1, "unknown": 2, "false": 3}
    assert fast["rejected"] == {"tdm_reservation": 2}


def test_the_card_reads_the_merged_counts_and_older_folders_every_sidecar(tmp_path):
    units = [[pairs_sidecar(tmp_path / "a.parquet", ["mit"], [None])]]
    counts = merged(units)
    out = folder(tmp_path, units, counts)
    assert "| mit | 1 |" in rights_markdown(out)
    counts["licenses"] = {"mit": 7}  # the card believes stats.json: it reads no sidecar
    (out / "stats.json").write_text(json.dumps({"stages": {}, "rights": counts}))
    assert "| mit | 7 |" in rights_markdown(out)
    (out / "stats.json").write_text(json.dumps({"stages": {}}))  # written before rights counts
    assert "| mit | 1 |" in rights_markdown(out)


def test_merged_document_counts_equal_the_exact_pass(tmp_path):
    cc = {"license": "cc-by-4.0"}
    units = [[docs_sidecar(tmp_path / "a.parquet", [
        {"general": {"rights": cc, "removed_images": [{"reason": "tdm_reservation"},
                                                      {"reason": "too_small"}]},
         "positions": [None, {"rights": {"license": None, "ai_generated": True}}]},
        {"general": {}, "positions": []}])],
        [docs_sidecar(tmp_path / "b.parquet", [
            {"general": {"rights": {}}, "positions": [{"rights": cc}, {"src": "x"}]}])]]
    out = folder(tmp_path, units, merged(units))
    fast = rights_summary(out)
    assert fast == rights_summary(out, exact=True)
    assert fast["licenses"] == {"cc-by-4.0": 1, "none": 1}
    assert fast["image_licenses"] == {"none": 1, "cc-by-4.0": 1}
    assert fast["ai_generated"] == {"true": 1, "unknown": 1}
    assert fast["images_removed"] == {"tdm_reservation": 1}


def test_a_unit_without_rights_counts_leaves_the_merge_unknown(tmp_path):
    unit = sidecar_rights([pairs_sidecar(tmp_path / "a.parquet", ["mit"], [None])])
    assert merge_rights(merge_rights({}, unit), None) is None  # resumed from an older loomery's unit
    assert merge_rights(None, unit) is None
