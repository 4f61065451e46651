"""filters.model_chain: which stages a job gets for its params and model set, and the notes."""

import pytest

from engine.job import Params
from filters.clip.score import ClipScore
from filters.clip.top_fraction import ClipTopFraction
from filters.model_chain import model_stages, quarantine_stages


@pytest.fixture(autouse=True)
def empty_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("LOOMERY_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))


def test_default_set_without_weights_skips_clip_and_says_how_to_fetch():
    notes: list[str] = []
    params = Params({})
    stages = model_stages(params, notes=notes)
    assert [s.name for s in stages] == ["language", "pii", "toxicity", "nsfw", "faces"]
    assert len(notes) == 1 and "clip_score skipped" in notes[0]
    assert "loomery models pull clip-vit-b-32-laion2b" in notes[0]
    assert params.unused() == []


def test_test_tiny_set_scores_with_the_random_clip_and_labels_it():
    notes: list[str] = []
    stages = model_stages(Params({"models": "test-tiny", "faces": "off", "pii": "reject"}), notes=notes)
    clip = stages[-1]
    assert isinstance(clip, ClipScore) and clip.threshold is None
    assert clip.models()[0]["name"] == "clip-tiny-random" and clip.models()[0]["random_init"] is True
    assert "RANDOM weights" in notes[0]
    assert "faces" not in [s.name for s in stages]
    assert next(s for s in stages if s.name == "pii").mode == "reject"


def test_pulled_weights_enable_threshold_or_top_fraction(tmp_path):
    (tmp_path / "cache" / "clip-vit-b-32-laion2b").mkdir(parents=True)
    (tmp_path / "cache" / "clip-vit-b-32-laion2b" / "open_clip_model.safetensors").write_bytes(b"x")
    stages = model_stages(Params({"clip_lang_min": "en:0.3,de:0.25"}), notes=[])
    assert stages[-1].threshold == 0.28 and stages[-1].lang_thresholds == {"en": 0.3, "de": 0.25}
    stages = model_stages(Params({"clip_top": "0.3", "nsfw": "off"}), notes=[])
    assert isinstance(stages[-1], ClipTopFraction) and stages[-1].fraction == 0.3
    assert stages[-2].threshold is None


def test_blocklist_only_when_lists_are_given(tmp_path):
    assert quarantine_stages(Params({})) == []
    listed = tmp_path / "urls.txt"
    listed.write_text("https://bad.example/x.jpg\n")
    (stage,) = quarantine_stages(Params({"blocklist_urls": str(listed)}))
    assert stage.name == "blocklist" and "urls=1" in stage.list_sizes


def test_docs_get_text_stages_on_texts_and_image_stages_per_document_image():
    notes: list[str] = []
    stages = model_stages(Params({"models": "test-tiny", "ocr": "on", "text_max": "0.4"}), kind="docs", notes=notes)
    assert [(s.name, getattr(s, "column", None)) for s in stages] == [
        ("language", "texts"),
        ("pii", "texts"),
        ("toxicity", "texts"),
        ("doc_nsfw", None),
        ("doc_faces", None),
        ("doc_text_in_image", None),
        ("doc_clip_score", None),
    ]
    nsfw, faces, ocr = stages[3:6]
    assert nsfw.document_reasons == ("nsfw",) and faces.inner.mode == "blur" and ocr.inner.max_ratio == 0.4
    assert len(notes) == 1 and "RANDOM" in notes[0]
    assert stages[-1].min_score is None


def test_docs_nsfw_can_remove_the_image_only():
    stages = model_stages(Params({"doc_nsfw": "remove", "faces": "off", "clip": "off"}), kind="docs", notes=[])
    assert [s.name for s in stages][-1] == "doc_nsfw" and stages[-1].document_reasons == ()
    with pytest.raises(ValueError, match="doc_nsfw"):
        model_stages(Params({"doc_nsfw": "drop"}), kind="docs", notes=[])


def test_pool_settings_reach_the_model_stages():
    params = Params({"models": "test-tiny", "ocr": "on", "model_workers": "3", "clip_workers": "2",
                     "clip_gpus": "0.5", "clip_precision": "bf16", "faces": "off"})
    stages = {s.name: s for s in model_stages(params, notes=[])}
    assert stages["nsfw"].resources.concurrency == 3 and stages["text_in_image"].resources.concurrency == 3
    clip = stages["clip_score"]
    assert (clip.resources.concurrency, clip.resources.num_gpus, clip.precision) == (2, 0.5, "bf16")
    assert params.unused() == []
    with pytest.raises(ValueError, match="clip_precision"):
        model_stages(Params({"clip_precision": "fp8"}), notes=[])
