"""How jobs add the cross-check: ``recaption.crosscheck.pipeline.stages_for(params)``."""

import json

import pytest

from engine.job import Params
from engine.models import MissingWeights
from recaption.crosscheck.pipeline import stages_for


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("LOOMERY_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))


def test_test_tiny_set_builds_every_requested_verifier(tmp_path):
    thresholds = tmp_path / "t.json"
    thresholds.write_text(json.dumps({"ocr": {"text": 0.7}}))
    notes = []
    params = Params({"models": "test-tiny", "crosscheck_verifiers": "clip,ocr,alt_text,detector",
                     "crosscheck_thresholds": str(thresholds), "crosscheck_repair_max": "0.4",
                     "crosscheck_variants": "long,short", "crosscheck_workers": "2"})
    [stage] = stages_for(params, notes=notes)
    assert notes == [] and params.unused() == []
    assert [v.name for v in stage.checker.verifiers] == ["clip", "ocr", "alt_text", "detector"]
    assert stage.checker.verifiers[1].thresholds["text"] == 0.7
    assert stage.policy.repair_max == 0.4 and stage.variants == ["long", "short"]
    assert stage.resources.concurrency == 2 and stage.needs_setup


def test_auto_leaves_out_verifiers_without_weights(no_weights):
    notes = []
    [stage] = stages_for(Params({"models": "default"}), notes=notes)
    assert [v.name for v in stage.checker.verifiers] == ["ocr", "alt_text"]
    assert any("clip verifier left out" in n and "loomery models pull" in n for n in notes)


def test_true_makes_missing_weights_an_error(no_weights):
    with pytest.raises(MissingWeights):
        stages_for(Params({"models": "default", "crosscheck": "true"}))


def test_off_and_documents():
    notes = []
    assert stages_for(Params({"crosscheck": "false"}), notes=notes) == [] and "off" in notes[0]
    [stage] = stages_for(Params({"models": "test-tiny"}), documents=True)
    assert "alt_text" not in [v.name for v in stage.checker.verifiers]
    with pytest.raises(ValueError):
        stages_for(Params({"crosscheck": "maybe"}))
