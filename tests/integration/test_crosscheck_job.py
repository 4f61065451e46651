"""The cross-check in a real job on local Ray (actor pool): synthetic captions checked against
rendered-text images with real OCR; kept, repaired, fallen back and rejected records all land
where they should, with every claim's verdict beside its caption."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.job import Job
from engine.runner import run_job
from engine.sinks import WebDatasetSink
from engine.sources import open_source
from engine.stage import Resources
from recaption.crosscheck import CrossCheck
from tests.integration.test_crosscheck_helpers import ALT_CASES, CASES, PlantedCaptions, coloured, rendered

pytestmark = pytest.mark.integration
pytest.importorskip("rapidocr")

def run(tmp_path, images, alts, cases, verifiers):
    inputs = tmp_path / "in"
    inputs.mkdir()
    pq.write_table(pa.table({"image": pa.array(images, pa.binary()), "caption": pa.array(alts, pa.string())}),
                   inputs / "part-000.parquet")
    stage = CrossCheck(verifiers=verifiers, resources=Resources(num_cpus=1, batch_size=4, concurrency=1))
    assert stage.needs_setup  # an actor pool: models load once per worker
    job = Job(name="crosscheck-test", source=open_source([str(inputs)]), stages=[PlantedCaptions(cases), stage],
              sink=WebDatasetSink(samples_per_shard=100), out=str(tmp_path / "out"), unit_size=2)
    manifest = run_job(job)
    out = tmp_path / "out"
    kept = pa.concat_tables([pq.read_table(p) for p in sorted((out / "metadata").glob("*.parquet"))]).to_pylist()
    rejects = pa.concat_tables([pq.read_table(p) for p in sorted((out / "rejects").glob("*.parquet"))]).to_pylist()
    return manifest, {r["caption"]: r for r in kept}, rejects


def test_alt_text_evidence_in_a_job(tmp_path, ray_local):
    manifest, by_alt, rejects = run(tmp_path, [coloured(v[0]) for v in ALT_CASES.values()], list(ALT_CASES),
                                    "alt", ["alt_text"])
    assert set(by_alt) == set(list(ALT_CASES)[:3])
    assert [(r["stage"], r["reason"]) for r in rejects] == [("crosscheck", "hallucinated_caption")]
    for alt, row in by_alt.items():
        assert row["crosscheck_action"] == ALT_CASES[alt][3], alt
        assert json.loads(row["crosscheck"])["action"] == row["crosscheck_action"]
    assert by_alt["a black cat on a bed"]["crosscheck_caption"] == "A cat on a bed near a window."
    assert by_alt["three horses in a field"]["crosscheck_caption"] == "Horses in a field."
    count = json.loads(by_alt["three horses in a field"]["crosscheck"])["variants"][0]["claims"][0]
    assert count["kind"] == "count" and count["contradicted_by_alt_text"] is True
    assert manifest["models"] == [] or all(m.get("stage") != "crosscheck" for m in manifest["models"])


@pytest.mark.slow
def test_ocr_evidence_in_a_job(tmp_path, ray_local):
    manifest, by_alt, rejects = run(tmp_path, [rendered(v[0]) for v in CASES.values()], list(CASES), "ocr",
                                    ["ocr", "alt_text"])
    assert set(by_alt) == {"open shop", "sale banner", "exit sign"}
    assert {r["stage"] for r in rejects} == {"crosscheck"} and len(rejects) == 1
    assert rejects[0]["reason"] == "hallucinated_caption"

    for alt, row in by_alt.items():
        assert row["crosscheck_action"] == CASES[alt][3], alt
        verdicts = json.loads(row["crosscheck"])
        assert verdicts["action"] == row["crosscheck_action"]
        texts = [c for v in verdicts["variants"] for c in v["claims"] if c["kind"] == "text"]
        assert all(c["checks"][0]["verifier"] == "ocr" for c in texts)
    assert by_alt["open shop"]["crosscheck_caption"] == "A shop door with a sign reading 'OPEN'."
    assert by_alt["sale banner"]["crosscheck_caption"] == "A window with a banner above a door."
    assert by_alt["sale banner"]["crosscheck_rate_after"] == 0.0
    assert by_alt["exit sign"]["crosscheck_variant"] == "short"
    assert by_alt["exit sign"]["crosscheck_caption"] == "A green sign that says 'EXIT'."
    assert any(m["name"] == "rapidocr" and m["stage"] == "crosscheck" for m in manifest["models"])
