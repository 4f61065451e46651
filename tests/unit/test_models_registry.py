"""The model registry's loaders, the missing-weights error, and `loomery models pull/list`."""

import json

import numpy as np
import pytest

from engine.models import MissingWeights, ModelSpec, get, register
from engine.models.loaders import is_available, load_open_clip, weights_dir
from filters import models as _filter_models  # noqa: F401  (registers the CLIP and OCR specs)
from loomery.cli import main

HUB_SPEC = ModelSpec(
    name="test-clip-hub",
    kind="open_clip",
    source="hf:test-org/tiny-clip",
    revision="r1",
    description="a tiny CLIP published in a stand-in hub folder by the test",
)
MODEL_CFG = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16, "head_width": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("LOOMERY_MODEL_CACHE", str(folder))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # an empty hub cache
    register(HUB_SPEC)
    return folder


@pytest.fixture
def hub(tmp_path):
    """A folder laid out like the hub (ORG/REPO) holding a real open_clip checkpoint."""
    import open_clip
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(3)
    model = open_clip.model.CLIP(**MODEL_CFG)
    repo = tmp_path / "hub" / "test-org" / "tiny-clip"
    repo.mkdir(parents=True)
    (repo / "open_clip_config.json").write_text(json.dumps({"model_cfg": MODEL_CFG}))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, repo / "open_clip_model.safetensors")
    return tmp_path / "hub", model.state_dict()


def test_missing_weights_names_the_model_and_the_pull_command(cache):
    assert not is_available(get("clip-vit-b-32-laion2b"))
    with pytest.raises(MissingWeights) as err:
        load_open_clip(get("clip-vit-b-32-laion2b"))
    message = str(err.value)
    assert "clip-vit-b-32-laion2b" in message
    assert "open_clip:ViT-B-32/laion2b_s34b_b79k" in message
    assert "loomery models pull clip-vit-b-32-laion2b" in message
    assert str(cache / "clip-vit-b-32-laion2b") in message


def test_pull_from_a_local_hub_folder_then_load_offline(cache, hub, capsys):
    origin, state = hub
    with pytest.raises(MissingWeights):
        weights_dir(HUB_SPEC)
    assert main(["models", "pull", HUB_SPEC.name, "--from", str(origin), "--cache-dir", str(cache)]) == 0
    assert "test-clip-hub" in capsys.readouterr().out
    pulled = cache / HUB_SPEC.name
    assert (pulled / "open_clip_model.safetensors").is_file()
    record = json.loads((pulled / "loomery-source.json").read_text())
    assert record["source"] == "hf:test-org/tiny-clip" and record["revision"] == "r1"
    assert not list(cache.glob(".*"))  # no temporary folder left behind
    loaded = load_open_clip(HUB_SPEC).model.state_dict()
    assert all(np.array_equal(loaded[k].numpy(), state[k].numpy()) for k in state)


def test_pull_of_an_absent_model_fails_with_a_reason(cache, tmp_path, capsys):
    assert main(["models", "pull", HUB_SPEC.name, "--from", str(tmp_path / "empty")]) == 1
    assert "not found in" in capsys.readouterr().err
    assert main(["models", "pull", "no-such-model", "--from", str(tmp_path)]) == 1


def test_a_pulled_folder_without_a_checkpoint_is_missing_not_random(cache):
    (cache / HUB_SPEC.name).mkdir(parents=True)
    (cache / HUB_SPEC.name / "open_clip_config.json").write_text(json.dumps({"model_cfg": MODEL_CFG}))
    with pytest.raises(MissingWeights, match="no checkpoint"):
        load_open_clip(HUB_SPEC)


def test_models_list_shows_kinds_sources_and_cache_state(cache, capsys):
    assert main(["models", "list"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "RANDOM_INIT" in lines["NAME"]
    assert "open_clip:ViT-B-32/laion2b_s34b_b79k" in lines["clip-vit-b-32-laion2b"]
    assert " no " in lines["clip-vit-b-32-laion2b"]
    assert "default:clip" in lines["clip-vit-b-32-laion2b"]
    assert "n/a (random)" in lines["clip-tiny-random"] and "True" in lines["clip-tiny-random"]
    assert "bundled" in lines["nudenet-320n"] and "test-tiny:nsfw" in lines["nudenet-320n"]
