"""The dataset card: provenance, models, the filter chain with counts, scores, loading."""

import json

from engine.output.card import render_card, size_category, write_card
from tests.unit.output_fixture import write_documents, write_output


def test_card_states_provenance_models_filters_and_counts(tmp_path):
    out = write_output(tmp_path / "run", kept=12, shards=2)
    path = write_card(out)
    assert path == out / "README.md"
    card = path.read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert card.startswith("---\npretty_name: \"fixture\"")
    assert "- n<1K" in card
    assert "**12** samples kept of 36 inputs (24 rejected" in card
    assert "| code version | test |" in card
    assert "| test-tiny | captioner | recaption | built-in | 0 | **random init (test model)** |" \
        in card
    assert "Do not train on this output" in card
    for i, (name, counts) in enumerate(manifest["stages"].items(), 1):
        assert f"| {i} | {name} | filters.{name} |" in card
        assert f"| {counts['in']:,} | {counts['kept']:,} | {counts['rejected']:,} |" in card
    assert "| clip_score | clip_score | >= 0.28 | 12 |" in card
    assert "training_dataset(" in card and "image-to-text" in card


def test_card_knows_documents_and_notes(tmp_path):
    out = write_documents(write_output(tmp_path / "run", kept=0, shards=1), docs=2)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["job"]["notes"] = ["made for a test"]
    manifest["models"] = []
    (out / "manifest.json").write_text(json.dumps(manifest))
    card = render_card(out)
    assert "Interleaved image-text documents" in card and "image-text-to-text" in card
    assert "No model was used." in card and "- made for a test" in card


def test_size_categories():
    assert [size_category(n) for n in (0, 999, 1000, 5_000_000, 10**9)] == [
        "n<1K", "n<1K", "1K<n<10K", "1M<n<10M", "n>100M"]
