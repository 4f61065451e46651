"""The transformers captioner with a tiny random LLaVA built in code (CPU, seconds)."""

import io
import json

import pyarrow as pa
import pytest
from PIL import Image

from engine.jobfile import build_job
from engine.models import MissingWeights, ModelSpec, get
from engine.models.params import MODEL_SET_PARAMS
from engine.params import ParamSet
from recaption import models as _models  # noqa: F401  (registers the captioner specs)
from recaption.backends.tiny_vlm import build_tiny_vlm
from recaption.backends.transformers_backend import TransformersCaptioner, locate_weights
from recaption.captioner import CaptionRequest
from recaption.params import RECAPTION_PARAMS, recaptioner
from recaption.prompts import PromptTemplate, register_prompt
from recaption.stage import Recaption

TINY = get("captioner-tiny-random")
register_prompt(PromptTemplate("test_tiny", 1, "describe the image", max_new_tokens=6))


def jpeg(color, size=(48, 36)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def tiny():
    captioner = TransformersCaptioner(TINY, batch_size=4)
    captioner.setup()
    return captioner


def requests(n=3, budget=6):
    prompts = ["describe the image", "a short caption please", "what is in the photo"]
    return [CaptionRequest(jpeg((i * 50 % 256, 80, 160), (40 + 8 * i, 30)), prompts[i % 3], budget) for i in range(n)]


def test_batched_generation_matches_one_by_one_and_is_deterministic(tiny):
    reqs = requests()
    batched = tiny.generate(reqs)
    single = [tiny.generate([r])[0] for r in reqs]
    assert [g.text for g in batched] == [g.text for g in single]
    assert all(g.error is None and g.text and g.tokens > 0 for g in batched)
    again = TransformersCaptioner(TINY, batch_size=2)
    assert [g.text for g in again.generate(reqs)] == [g.text for g in batched]


def test_token_budget_is_respected_and_flagged(tiny):
    gens = tiny.generate(requests(2, budget=3))
    for gen in gens:
        assert gen.tokens <= 3
        assert gen.hit_token_limit == (gen.tokens == 3)
    assert any(g.hit_token_limit for g in gens)
    capped = TransformersCaptioner(TINY, max_new_tokens=2).generate(requests(2, budget=6))
    assert all(g.tokens <= 2 and g.hit_token_limit for g in capped)


def test_undecodable_images_fail_alone(tiny):
    good, bad = tiny.generate([requests(1)[0], CaptionRequest(b"\xff\xd8 broken", "x", 4)])
    assert good.error is None and good.text
    assert bad.error_status == "bad_image" and "cannot decode" in bad.error


def test_stage_with_the_tiny_model_records_random_provenance(tiny):
    batch = pa.table({"key": ["0" * 24, "1" * 24], "caption": ["a cat", None], "image": [jpeg(1), b""]})
    stage = Recaption(tiny, {"t": "test_tiny"})
    out = stage(batch)
    statuses = out["caption_t_status"].to_pylist()
    assert statuses[1] == "bad_image" and statuses[0] in {"ok", "truncated", "empty"}
    meta = json.loads(out["caption_t_meta"][0].as_py())
    assert meta["model"] == "captioner-tiny-random" and meta["random_init"] is True
    assert meta["params"] == {"do_sample": False} and meta["max_new_tokens"] == 6
    assert stage.models()[0]["random_init"] is True


def test_saved_model_loads_offline_from_a_directory(tmp_path, monkeypatch):
    model, processor = build_tiny_vlm()
    model.save_pretrained(tmp_path / "vlm")
    processor.save_pretrained(tmp_path / "vlm")
    spec = ModelSpec("test-dir-vlm", "transformers", f"dir:{tmp_path / 'vlm'}")
    loaded = TransformersCaptioner(spec, batch_size=2)
    reqs = requests(2)
    expected = TransformersCaptioner(TINY).generate(reqs)
    assert [g.text for g in loaded.generate(reqs)] == [g.text for g in expected]
    # The same files under $LOOMERY_MODEL_CACHE/<name> are found for an hf: spec.
    monkeypatch.setenv("LOOMERY_MODEL_CACHE", str(tmp_path))
    hub_spec = ModelSpec("vlm", "transformers", "hf:loomery-tests/vlm", revision="main")
    assert locate_weights(hub_spec)[0] == str(tmp_path / "vlm")


def test_absent_weights_raise_missing_weights_naming_the_model(tmp_path, monkeypatch):
    monkeypatch.setenv("LOOMERY_MODEL_CACHE", str(tmp_path))
    spec = ModelSpec("absent-vlm", "transformers", "hf:loomery-tests/absent-vlm", revision="main")
    with pytest.raises(MissingWeights, match="absent-vlm.*loomery models pull"):
        TransformersCaptioner(spec).setup()


RECAPTION_SETTINGS = ParamSet(MODEL_SET_PARAMS, RECAPTION_PARAMS)


def recaption_stage(tmp_path, **params):
    """The docs job's recaption stage, or None, and the job's notes."""
    job = build_job("docs", [str(tmp_path / "x.warc.gz")], str(tmp_path / "out"),
                    {"clip": "false", "crosscheck": "false", **params})
    return next((s for s in job.stages if s.name == "recaption"), None), job.notes


def test_recaptioner_skips_without_weights_and_runs_tiny_on_request(tmp_path, monkeypatch):
    monkeypatch.setenv("LOOMERY_MODEL_CACHE", str(tmp_path))
    notes = []
    assert recaptioner(RECAPTION_SETTINGS.resolve({}), notes) is None
    assert "smolvlm-256m-instruct" in notes[0] and "models=test-tiny" in notes[0]
    with pytest.raises(MissingWeights):
        recaptioner(RECAPTION_SETTINGS.resolve({"recaption": "true"}), [])
    stage, notes = recaption_stage(tmp_path, models="test-tiny")
    notes = [n for n in notes if n.startswith("recaption")]
    assert stage.config()["variants"] == ["short=short@1", "context=context@1"]
    assert stage.models()[0]["name"] == "captioner-tiny-random" and "RANDOM" in notes[0]
    assert stage._captioner.identity()["max_new_tokens_cap"] == 16  # quick demos
    assert recaption_stage(tmp_path, recaption="false")[0] is None
    with pytest.raises(ValueError, match="recaption_model"):
        recaptioner(RECAPTION_SETTINGS.resolve({"recaption_backend": "openai"}), [])
    served, _ = recaption_stage(tmp_path, recaption_backend="openai", recaption_model="m", recaption_workers="2")
    assert served.backend == "openai" and served.resources.concurrency == 2


def test_vllm_backend_is_skipped_with_a_note_when_vllm_is_absent():
    from recaption.backends import vllm_backend

    notes = []
    captioner = recaptioner(RECAPTION_SETTINGS.resolve({"recaption_backend": "vllm", "models": "test-tiny"}), notes)
    if vllm_backend.available():
        assert captioner is not None and captioner.identity()["backend"] == "vllm"
    else:
        assert captioner is None and "vllm is not installed" in notes[0]
        with pytest.raises(ValueError, match="vllm"):
            recaptioner(RECAPTION_SETTINGS.resolve({"recaption_backend": "vllm", "recaption": "true"}), [])


def test_captioner_models_are_registered_by_role():
    from engine.models import model_for

    cpu, gpu = model_for("default", "captioner"), model_for("default", "captioner_gpu")
    assert cpu.kind == gpu.kind == "transformers"
    assert cpu.source.startswith("hf:") and gpu.source.startswith("hf:") and cpu.revision
    assert not cpu.random_init and not gpu.random_init
    tiny = model_for("test-tiny", "captioner")
    assert tiny.random_init and tiny is model_for("test-tiny", "captioner_gpu")
