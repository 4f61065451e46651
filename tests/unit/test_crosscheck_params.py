"""How jobs add the cross-check: the ``CrossCheck`` stage in their chain, with the verifiers
``recaption.crosscheck.params.crosscheck_verifiers`` lets run."""

import json

import pytest

from engine.jobfile import build_job
from engine.models import MissingWeights
from engine.models.params import MODEL_SET_PARAMS
from engine.params import ParamSet
from recaption.crosscheck.params import CROSSCHECK_PARAMS, crosscheck_verifiers

SETTINGS = ParamSet(MODEL_SET_PARAMS, CROSSCHECK_PARAMS)


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("LOOMERY_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))


def crosscheck_stage(tmp_path, job="pairs", **params):
    """The job's cross-check stage (None when it has none) and its notes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"url": ["http://example.invalid/a.jpg"], "caption": ["a"]}), tmp_path / "u.parquet")
    inputs = str(tmp_path / ("u.parquet" if job == "pairs" else "x.warc.gz"))
    built = build_job(job, [inputs], str(tmp_path / "out"), params)
    return next((s for s in built.stages if s.name == "crosscheck"), None), built.notes


def test_test_tiny_set_builds_every_requested_verifier(tmp_path):
    thresholds = tmp_path / "t.json"
    thresholds.write_text(json.dumps({"ocr": {"text": 0.7}}))
    stage, notes = crosscheck_stage(
        tmp_path, models="test-tiny", crosscheck_verifiers="clip,ocr,alt_text,detector",
        crosscheck_thresholds=str(thresholds), crosscheck_repair_max="0.4",
        crosscheck_variants="long,short", crosscheck_workers="2", clip_gpus="0")
    assert not [n for n in notes if n.startswith("crosscheck")]
    assert [v.name for v in stage.checker.verifiers] == ["clip", "ocr", "alt_text", "detector"]
    assert stage.checker.verifiers[1].thresholds["text"] == 0.7
    assert stage.policy.repair_max == 0.4 and stage.variants == ["long", "short"]
    assert stage.resources.concurrency == 2 and stage.needs_setup


def test_auto_leaves_out_verifiers_without_weights(no_weights):
    notes = []
    verifiers = crosscheck_verifiers(SETTINGS.resolve({"models": "default"}), notes)
    assert verifiers == ["ocr", "alt_text"]
    assert any("clip verifier left out" in n and "loomery models pull" in n for n in notes)


def test_true_makes_missing_weights_an_error(no_weights):
    with pytest.raises(MissingWeights):
        crosscheck_verifiers(SETTINGS.resolve({"models": "default", "crosscheck": "true"}), [])


def test_off_and_documents(tmp_path):
    notes = []
    assert crosscheck_verifiers(SETTINGS.resolve({"crosscheck": "false"}), notes) == [] and "off" in notes[0]
    stage, _ = crosscheck_stage(tmp_path, job="pairs", models="test-tiny", crosscheck="false")
    assert stage is None
    stage, _ = crosscheck_stage(tmp_path, job="docs", models="test-tiny", clip_gpus="0")
    assert "alt_text" not in [v.name for v in stage.checker.verifiers]
    with pytest.raises(ValueError, match="crosscheck"):
        SETTINGS.resolve({"crosscheck": "maybe"})
