"""The chains the pairs and docs jobs write out: which stages their params and model set give,
and the notes (this was filters/model_chain.py's test, before the jobs listed their stages)."""

import pytest

from engine.jobfile import build_job
from filters.clip import ClipScore
from filters.clip.top_fraction import ClipTopFraction

pytestmark = pytest.mark.usefixtures("empty_caches")

MODEL_STAGES = ("language", "pii", "toxicity", "nsfw", "faces", "text_in_image", "clip_score",
                "clip_top_fraction")
DOC_MODEL_STAGES = ("pii", "toxicity", "doc_nsfw", "doc_faces", "doc_text_in_image", "doc_clip_score")


def chain(name, inputs, only, **params):
    """The job's stages among ``only`` (in chain order), and its notes about CLIP."""
    job = build_job(name, [inputs], "unused-out", {"recaption": "false", **params})
    return [s for s in job.stages if s.name in only], [n for n in job.notes if "clip" in n]


def test_default_set_without_weights_skips_clip_and_says_how_to_fetch(url_list):
    stages, notes = chain("pairs", url_list, MODEL_STAGES)
    assert [s.name for s in stages] == ["language", "pii", "toxicity", "nsfw", "faces"]
    assert len(notes) == 1 and "clip_score skipped" in notes[0]
    assert "loomery models pull clip-vit-b-32-laion2b" in notes[0]


def test_test_tiny_set_scores_with_the_random_clip_and_labels_it(url_list):
    stages, notes = chain("pairs", url_list, MODEL_STAGES, models="test-tiny", faces="off", pii="reject")
    clip = stages[-1]
    assert isinstance(clip, ClipScore) and clip.threshold is None
    assert clip.models()[0]["name"] == "clip-tiny-random" and clip.models()[0]["random_init"] is True
    assert "RANDOM weights" in notes[0]
    assert "faces" not in [s.name for s in stages]
    assert next(s for s in stages if s.name == "pii").mode == "reject"


def test_pulled_weights_enable_threshold_or_top_fraction(tmp_path, url_list):
    (tmp_path / "cache" / "clip-vit-b-32-laion2b").mkdir(parents=True)
    (tmp_path / "cache" / "clip-vit-b-32-laion2b" / "open_clip_model.safetensors").write_bytes(b"x")
    stages, _ = chain("pairs", url_list, MODEL_STAGES, clip_lang_min="en:0.3,de:0.25")
    assert stages[-1].threshold == 0.28 and stages[-1].lang_thresholds == {"en": 0.3, "de": 0.25}
    stages, _ = chain("pairs", url_list, MODEL_STAGES, clip_top="0.3", nsfw="off")
    assert isinstance(stages[-1], ClipTopFraction) and stages[-1].fraction == 0.3
    assert stages[-2].threshold is None


def test_blocklist_only_when_lists_are_given(tmp_path, url_list):
    assert chain("pairs", url_list, ("blocklist",))[0] == []
    listed = tmp_path / "urls.txt"
    listed.write_text("https://bad.example/x.jpg\n")
    (stage,), _ = chain("pairs", url_list, ("blocklist",), blocklist_urls=str(listed))
    assert stage.name == "blocklist" and "urls=1" in stage.list_sizes


def test_docs_get_text_stages_on_texts_and_image_stages_per_document_image(tmp_path):
    stages, notes = chain("docs", str(tmp_path / "x.warc.gz"), DOC_MODEL_STAGES, models="test-tiny",
                          ocr="on", text_max="0.4")
    assert [(s.name, getattr(s, "column", None)) for s in stages] == [
        ("pii", "texts"),
        ("toxicity", "texts"),
        ("doc_nsfw", None),
        ("doc_faces", None),
        ("doc_text_in_image", None),
        ("doc_clip_score", None),
    ]
    nsfw, faces, ocr = stages[2:5]
    assert nsfw.document_reasons == ("nsfw",) and faces.inner.mode == "blur" and ocr.inner.max_ratio == 0.4
    assert len(notes) == 1 and "RANDOM" in notes[0]
    assert stages[-1].min_score is None


def test_docs_nsfw_can_remove_the_image_only(tmp_path):
    warc = str(tmp_path / "x.warc.gz")
    stages, _ = chain("docs", warc, DOC_MODEL_STAGES, doc_nsfw="remove", faces="off", clip="off")
    assert [s.name for s in stages][-1] == "doc_nsfw" and stages[-1].document_reasons == ()
    with pytest.raises(ValueError, match="doc_nsfw"):
        chain("docs", warc, DOC_MODEL_STAGES, doc_nsfw="drop")


def test_pool_settings_reach_the_model_stages(url_list):
    stages, _ = chain("pairs", url_list, MODEL_STAGES, models="test-tiny", ocr="on", model_workers="3",
                      clip_workers="2", clip_gpus="0.5", clip_precision="bf16", faces="off")
    stages = {s.name: s for s in stages}
    assert stages["nsfw"].resources.concurrency == 3 and stages["text_in_image"].resources.concurrency == 3
    clip = stages["clip_score"]
    assert (clip.resources.concurrency, clip.resources.num_gpus, clip.precision) == (2, 0.5, "bf16")
    with pytest.raises(ValueError, match="clip_precision"):
        chain("pairs", url_list, MODEL_STAGES, clip_precision="fp8")
