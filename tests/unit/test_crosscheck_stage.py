"""The CrossCheck stage on Arrow batches (no Ray): pairs and documents, columns and verdicts."""

import io
import json

import pyarrow as pa
import pytest
from PIL import Image

from engine import columns as C
from recaption.crosscheck import CrossCheck, CrossCheckConfig, CrossChecker
from recaption.crosscheck.verifiers.base import Verifier


class Absent(Verifier):
    """Supports every claim except those about the objects it is told are absent."""

    name = "absent"
    kinds = frozenset({"object", "attribute", "count", "text"})
    default_thresholds = dict.fromkeys(kinds, 0.5)

    def __init__(self, absent):
        super().__init__()
        self.absent = set(absent)

    def score(self, evidence, claims):
        return [[None if ev.image is None else 0.0 if c.object in self.absent else 1.0 for c in cs]
                for ev, cs in zip(evidence, claims, strict=True)]


def png(colour="red"):
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buf, "PNG")
    return buf.getvalue()


def stage_with(absent, **kw):
    stage = CrossCheck(verifiers=["alt_text"], config=CrossCheckConfig(**kw))
    stage._checker = CrossChecker([Absent(absent)], stage.policy)
    return stage


def test_variant_columns_skip_recaption_metadata():
    schema = pa.schema([("caption", pa.string()), ("caption_short", pa.string()), ("caption_short_status", pa.string()),
                        ("caption_short_meta", pa.string()), ("caption_short_prov", pa.string()),
                        ("caption_long", pa.list_(pa.string())), ("caption_n", pa.int32())])
    assert CrossCheck(verifiers=["alt_text"]).variant_columns(schema) == ["caption_short", "caption_long"]
    assert CrossCheck(verifiers=["alt_text"], variants=["long", "caption_short"]).variant_columns(schema) == [
        "caption_long", "caption_short"]


def test_pairs_get_verdicts_repairs_and_rejects():
    batch = pa.table({
        "key": ["a" * 24, "b" * 24, "c" * 24, "d" * 24],
        "image": [png(), png(), b"\x89PNG broken", png()],
        "caption": ["alt", "alt", "alt", "alt"],
        "caption_short": ["A dog on a couch.", "A dog next to a cat on a couch.", "A cat.", "A cat and a horse."],
        "caption_short_status": ["ok"] * 4,
    })
    out = stage_with({"cat", "horse"})(batch)
    assert out.column("crosscheck_action").to_pylist() == ["keep", "repair", "keep", "reject"]
    assert out.column("crosscheck_caption").to_pylist() == ["A dog on a couch.", "A dog on a couch.", "A cat.", None]
    assert out.column("crosscheck_rate").to_pylist() == pytest.approx([0.0, 1 / 3, 0.0, 1.0])
    assert out.column(C.REJECT_REASON).to_pylist() == [None, None, None, "hallucinated_caption"]
    assert out.column(C.REJECT_STAGE).to_pylist()[3] == "crosscheck"
    broken = json.loads(out.column("crosscheck")[2].as_py())
    assert "decode failed" in broken["image_error"]
    assert broken["variants"][0]["claims"][0]["verdict"] == "unverified"
    repaired = json.loads(out.column("crosscheck")[1].as_py())["variants"][0]
    assert [c["verdict"] for c in repaired["claims"]] == ["supported", "unsupported", "supported"]
    assert repaired["repaired"] == "A dog on a couch." and repaired["rate_after"] == 0.0


def test_reject_false_only_annotates():
    batch = pa.table({"key": ["a" * 24], "image": [png()], "caption_short": ["A cat."]})
    out = stage_with({"cat"}, reject=False)(batch)
    assert out.column("crosscheck_action").to_pylist() == ["reject"]
    assert out.column(C.REJECT_REASON).to_pylist() == [None]


def test_documents_get_lists_parallel_to_images_and_are_never_rejected():
    batch = pa.table({
        "key": ["e" * 24],
        "texts": pa.array([["Intro", None, "More", None]], pa.list_(pa.string())),
        "images": pa.array([[None, png(), None, png("blue")]], pa.list_(pa.binary())),
        "caption_short": pa.array([[None, "A dog next to a cat on a bed.", None, "A cat."]], pa.list_(pa.string())),
    })
    out = stage_with({"cat"})(batch)
    assert out.column("crosscheck_action").to_pylist() == [[None, "repair", None, "reject"]]
    assert out.column("crosscheck_caption").to_pylist() == [[None, "A dog on a bed.", None, None]]
    assert out.column("crosscheck_claims").to_pylist() == [4]
    assert out.column("crosscheck_rate").to_pylist() == pytest.approx([(1 / 3 + 1.0) / 2])
    assert out.column(C.REJECT_REASON).to_pylist() == [None]
    assert json.loads(out.column("crosscheck")[0].as_py()[1])["chosen"] == "short"


def test_config_and_bad_settings():
    stage = CrossCheck(verifiers=["ocr", "alt_text"], thresholds={"ocr": {"text": 0.7}}, weights={"alt_text": 1.0})
    config = stage.config()
    assert config["thresholds"]["ocr"] == {"text": 0.7} and config["weights"]["alt_text"] == 1.0
    assert config["policy"]["repair_max"] == 0.5 and not stage.models()[0]["random_init"]
    with pytest.raises(ValueError, match="verifiers"):
        CrossCheck(verifiers=["magic"])
    with pytest.raises(ValueError, match="thresholds"):
        CrossCheck(verifiers=["ocr"], thresholds={"ocr": {"object": 0.5}})
