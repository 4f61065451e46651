"""The Recaption stage: variant columns, provenance, failures kept, skip-on-rerun, documents.

The captioner here is a scripted implementation of the Captioner interface (the stage is under
test, not a model); the real backends have their own tests.
"""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine import columns as C
from recaption.captioner import Captioner, Generation
from recaption.existing import caption_columns
from recaption.prompts import PromptTemplate, register_prompt
from recaption.stage import Recaption

REPLIES = {
    b"dog": "The image shows a dog on a beach.",
    b"shy": "I'm sorry, I can't help with that.",
    b"mute": "",
    b"long": "A very long description that never",
}


class Scripted(Captioner):
    backend = "scripted"

    def __init__(self, model="scripted-v1", fail=(b"flaky",)):
        self.model, self.fail, self.calls = model, set(fail), []

    def identity(self):
        return {"backend": self.backend, "model": self.model, "revision": "r1", "params": {}}

    def models(self, stage=None):
        return [{"name": self.model, "random_init": False, "stage": stage}]

    def generate(self, requests):
        self.calls.append([r.prompt for r in requests])
        out = []
        for r in requests:
            if r.image in self.fail:
                out.append(Generation(None, error="HTTP 503 (after 5 attempt(s))"))
            else:
                text = REPLIES.get(r.image, "A photo.")
                out.append(Generation(text, hit_token_limit=r.image == b"long", tokens=7))
        return out


def pairs(images=(b"dog", b"shy", b"mute", b"long", b"flaky")):
    n = len(images)
    return pa.table(
        {
            "key": [f"{i:024x}" for i in range(n)],
            "caption": [f"alt {i}" for i in range(n)],
            "image": list(images),
        }
    )


def test_each_variant_gets_caption_status_meta_and_provenance_columns():
    stage = Recaption(Scripted(), {"short": "short", "alt": "alt_text@1"})
    out = stage(pairs())
    assert out.num_rows == 5 and C.REJECT_STAGE not in out.column_names
    for v in ("short", "alt"):
        assert {f"caption_{v}", f"caption_{v}_status", f"caption_{v}_meta", f"caption_{v}_prov"} <= set(
            out.column_names
        )
    assert out["caption_short"].to_pylist() == ["A dog on a beach.", None, None, None, None]
    assert out["caption_short_status"].to_pylist() == ["ok", "refusal", "empty", "truncated", "error"]
    meta = json.loads(out["caption_alt_meta"][0].as_py())
    assert meta["backend"] == "scripted" and meta["model"] == "scripted-v1"
    assert meta["revision"] == "r1" and meta["prompt"] == "alt_text" and meta["prompt_version"] == 1
    assert meta["status"] == "ok" and meta["tokens"] == 7 and "created" in meta
    assert meta["provenance"] == out["caption_alt_prov"][0].as_py() == stage.provenance("alt")
    error_meta = json.loads(out["caption_short_meta"][4].as_py())
    assert error_meta["status"] == "error" and "503" in error_meta["detail"]
    assert stage.provenance("short") != stage.provenance("alt")
    assert caption_columns(out.column_names) == ["caption_short", "caption_alt"]


def test_alt_text_variant_puts_each_records_alt_text_in_its_prompt():
    captioner = Scripted()
    Recaption(captioner, ["alt_text"])(pairs())
    prompts = captioner.calls[0]
    assert [p for p in prompts if '"alt 3"' in p] == [prompts[3]]


def test_rerun_skips_captions_with_the_same_provenance_but_retries_errors():
    captioner = Scripted()
    stage = Recaption(captioner, ["short", "alt_text"])
    first = stage(pairs())
    captioner.fail = set()  # the endpoint is healthy again
    second = stage(first)
    assert len(captioner.calls) == 2 and len(captioner.calls[1]) == 2  # one per variant: b"flaky"
    assert second["caption_short_status"].to_pylist()[4] == "ok"
    assert second["caption_short_meta"][0] == first["caption_short_meta"][0]  # kept as it was
    third = stage(second)
    assert len(captioner.calls) == 2 and third.equals(second)


def test_a_new_prompt_version_or_model_is_captioned_again():
    register_prompt(PromptTemplate("test_stage_prompt", 1, "Caption it."))
    captioner = Scripted()
    first = Recaption(captioner, {"v": "test_stage_prompt@1"})(pairs())
    register_prompt(PromptTemplate("test_stage_prompt", 2, "Caption it briefly."))
    Recaption(captioner, {"v": "test_stage_prompt@2"})(first)
    Recaption(Scripted(model="scripted-v2"), {"v": "test_stage_prompt@1"})(first)
    assert len(captioner.calls) == 2 and len(captioner.calls[1]) == 5


def test_existing_parquet_from_an_earlier_run_is_reused(tmp_path):
    stage = Recaption(Scripted(fail=()), ["short"], timestamps=False)
    first = stage(pairs())
    pq.write_table(first.drop_columns(["image"]), tmp_path / "00000.parquet")
    captioner = Scripted(fail=())
    again = Recaption(captioner, ["short"], existing=str(tmp_path), timestamps=False)
    again.setup()
    second = again(pairs())
    assert captioner.calls == []
    assert second.select(first.column_names).equals(first)
    other = Recaption(Scripted(model="other", fail=()), ["short"], existing=str(tmp_path))
    other(pairs())
    assert len(other._captioner.calls) == 1


def test_missing_existing_path_is_a_clear_error(tmp_path):
    stage = Recaption(Scripted(), ["short"], existing=str(tmp_path / "nowhere-*.parquet"))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        stage.setup()


def test_documents_get_list_columns_and_context_prompts():
    docs = pa.table(
        {
            "key": ["a" * 24, "b" * 24],
            "texts": [["Our dog Rex loves the sea.", None, "Later that day.", None], ["Only text"]],
            "images": [[None, b"dog", None, b"flaky"], [None]],
        }
    )
    captioner = Scripted()
    out = Recaption(captioner, ["context"])(docs)
    assert out["caption_context"].to_pylist() == [[None, "A dog on a beach.", None, None], [None]]
    assert out["caption_context_status"].to_pylist() == [[None, "ok", None, "error"], [None]]
    prompts = captioner.calls[0]
    assert "Our dog Rex loves the sea. … Later that day." in prompts[0]
    assert "Later that day." in prompts[1] and "Rex" not in prompts[1]
    meta = json.loads(out["caption_context_meta"][0].as_py())
    assert [i["status"] for i in meta["items"]] == ["ok", "error"]
    assert json.loads(out["caption_context_meta"][1].as_py())["items"] == []


def test_timestamps_off_gives_identical_output_across_runs():
    a = Recaption(Scripted(), ["short"], timestamps=False)(pairs())
    b = Recaption(Scripted(), ["short"], timestamps=False)(pairs())
    assert a.equals(b)
    assert "created" not in json.loads(a["caption_short_meta"][0].as_py())


def test_bad_variant_names_and_prompts_are_refused():
    with pytest.raises(ValueError, match="variant name"):
        Recaption(Scripted(), {"Bad-Name": "short"})
    with pytest.raises(KeyError, match="unknown prompt"):
        Recaption(Scripted(), ["no_such_prompt"])


def test_stage_records_its_model_and_variants_for_the_manifest():
    stage = Recaption(Scripted(), {"short": "short", "alt": "alt_text"}, name="recaption_b")
    assert stage.needs_setup
    assert stage.models() == [{"name": "scripted-v1", "random_init": False, "stage": "recaption_b"}]
    config = stage.config()
    assert config["variants"] == ["short=short@1", "alt=alt_text@1"]
    assert config["backend"] == "scripted" and config["model"] == "scripted-v1"


def test_documents_are_reused_whole_and_retried_whole_after_errors():
    docs = pa.table(
        {
            "key": ["a" * 24, "b" * 24],
            "texts": [["Text.", None], [None, "More."]],
            "images": [[None, b"dog"], [b"flaky", None]],
        }
    )
    captioner = Scripted()
    stage = Recaption(captioner, ["short"])
    first = stage(docs)
    captioner.fail = set()
    second = stage(first)
    assert [len(c) for c in captioner.calls] == [2, 1]  # only the document with an error
    assert second["caption_short_status"].to_pylist() == [[None, "ok"], ["ok", None]]
    assert second["caption_short_meta"][0] == first["caption_short_meta"][0]
