"""ClipScore and the registry with a tiny random open_clip model registered by the test."""

import io

import numpy as np
import pyarrow as pa
import pytest
from PIL import Image

from engine import columns as C
from engine.models import ModelSpec, get, model_for, register, register_role
from engine.models.loaders import load_open_clip
from filters import models as _filter_models  # noqa: F401  (registers the CLIP and OCR specs)
from filters.clip import ClipConfig, ClipScore
from filters.clip.top_fraction import ClipTopFraction

TEST_SPEC = ModelSpec(
    name="test-clip-micro",
    kind="open_clip",
    source="config:test-clip-micro",
    random_init=True,
    config={
        "embed_dim": 16,
        "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16, "head_width": 16},
        "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
        "seed": 7,
    },
)


@pytest.fixture(scope="module")
def spec():
    register(TEST_SPEC)
    register_role("test-unit", "clip", TEST_SPEC.name)
    return TEST_SPEC


def _jpeg(color, size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


def _batch():
    images = [_jpeg((200, 20, 20)), _jpeg((20, 200, 20)), b"not an image", _jpeg((9, 9, 200)), None]
    captions = ["a red square", "a green square", "broken", "", "no bytes"]
    return pa.table({"key": [f"{i:024x}" for i in range(5)], "image": images, "caption": captions})


def test_registry_resolves_the_registered_test_model(spec):
    assert get("test-clip-micro") is spec
    assert model_for("test-unit", "clip") == spec
    assert model_for("test-tiny", "clip").random_init is True
    with pytest.raises(KeyError, match="unknown model"):
        get("no-such-model")


def test_random_init_is_seeded_so_every_worker_builds_the_same_model(spec):
    a = load_open_clip(spec).model.state_dict()
    b = load_open_clip(spec).model.state_dict()
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)


def test_clip_score_scores_embeds_and_rejects_with_reasons(spec):
    stage = ClipScore(spec.name, threshold=None, config=ClipConfig(batch_size=2, num_gpus=0))
    out = stage(_batch())
    scores = out.column("clip_score").to_pylist()
    assert [s is None for s in scores] == [False, False, True, True, True]
    assert all(-1.0 <= s <= 1.0 for s in scores[:2])
    assert out.column(C.REJECT_REASON).to_pylist() == [
        None,
        None,
        "undecodable_image",
        "no_caption",
        "no_image",
    ]
    img = out.column("clip_image_emb")
    assert img.type == pa.list_(pa.float16())
    first = np.array(img[0].as_py(), np.float32)
    assert first.shape == (16,) and abs(np.linalg.norm(first) - 1) < 1e-2
    txt = np.array(out.column("clip_text_emb")[1].as_py(), np.float32)
    # the saved embeddings reproduce the score (to float16 precision)
    img1 = np.array(img[1].as_py(), np.float32)
    assert abs(float(img1 @ txt) - scores[1]) < 1e-2
    assert stage.models() == [{**spec.record(stage.name)}]
    assert stage.models()[0]["random_init"] is True


def test_threshold_and_per_language_thresholds(spec):
    probe = ClipScore(spec.name, threshold=None, config=ClipConfig(num_gpus=0))(_batch())
    s0, s1 = probe.column("clip_score").to_pylist()[:2]
    mid = (s0 + s1) / 2
    batch = _batch().append_column("language", pa.array(["en", "de", None, None, None]))
    stage = ClipScore(spec.name, threshold=-2.0, lang_thresholds={"en": mid, "de": mid}, config=ClipConfig(num_gpus=0))
    reasons = stage(batch).column(C.REJECT_REASON).to_pylist()[:2]
    low = 0 if s0 < s1 else 1
    assert reasons[low] == "low_clip_score" and reasons[1 - low] is None
    assert (
        ClipScore(spec.name, threshold=2.0, config=ClipConfig(num_gpus=0))(_batch())
        .column(C.REJECT_REASON).to_pylist()[:2]
        == ["low_clip_score"] * 2
    )


def test_top_fraction_keeps_the_best_scores_and_breaks_ties_by_key():
    keys = [f"{i:024x}" for i in range(10)]
    scores = [0.1, 0.5, 0.3, 0.3, 0.9, None, 0.2, 0.3, 0.0, 0.8]
    stage = ClipTopFraction(0.4)
    sig = stage.signature(pa.table({"key": keys, "clip_score": pa.array(scores, pa.float32())}))
    decided = stage.decide(sig.append_column("key", pa.array(keys)))
    rejected = dict(zip(decided.column("key").to_pylist(), decided.column("reason").to_pylist(), strict=False))
    kept = sorted(set(keys) - set(rejected))
    # top 4 of 10: 0.9, 0.8, 0.5 and the first (by key) of the three 0.3s
    assert kept == [keys[1], keys[2], keys[4], keys[9]]
    assert rejected[keys[5]] == "no_clip_score"
    assert rejected[keys[3]] == "below_top_fraction"
    assert decided.column("threshold").to_pylist() == [pytest.approx(0.3)] * 6


def test_doc_clip_scores_each_image_against_its_nearest_text(spec):
    from filters.clip.documents import DocClipScore

    docs = pa.table(
        {
            "texts": pa.array(
                [["a red square", None, "a green square", None], ["only text"], [None]], pa.list_(pa.string())
            ),
            "images": pa.array(
                [[None, _jpeg((200, 20, 20)), None, b"junk"], [None], [_jpeg((1, 2, 3))]], pa.list_(pa.binary())
            ),
        }
    )
    out = DocClipScore(spec.name, config=ClipConfig(num_gpus=0))(docs)
    scores = out.column("image_clip_scores").to_pylist()
    best = out.column("image_best_text").to_pylist()
    assert scores[0][0] is None and scores[0][2] is None and scores[0][3] is None  # texts, junk image
    assert -1 <= scores[0][1] <= 1 and best[0][1] in (0, 2)
    assert out.column("doc_clip_max").to_pylist()[0] == pytest.approx(scores[0][1])
    assert out.column("doc_clip_max").to_pylist()[1:] == [None, None]  # no image / no text: unscored
    assert out.column(C.REJECT_REASON).null_count == 3
