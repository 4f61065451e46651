"""The demo's shards read as they are by the real clients: webdataset, Ray Data, Hugging Face
``datasets`` (inferred and card-typed), for pairs and documents; the card's examples run."""

import json

import pytest
import webdataset as wds

from engine.output.folder import OutputFolder
from engine.output.verify import verify_output
from engine.sinks.documents import unpack_images
from tests.integration.client_outputs import code_blocks, demo_outputs  # noqa: F401 - fixture

pytestmark = pytest.mark.integration


@pytest.fixture(params=["pairs", "docs"])
def output(request, demo_outputs):  # noqa: F811 - the fixture imported above
    return request.param, demo_outputs[request.param]


def kept(out):
    return OutputFolder(out).manifest["totals"]["kept"]


def test_folders_verify_and_hold_only_tars_and_skipped_names(output):
    kind, out = output
    assert verify_output(out) == []
    names = sorted(p.name for p in (out / "shards").iterdir())
    assert names[0] == "__len__" and all(n.startswith("train-") and n.endswith(".tar")
                                          for n in names[1:])
    sizes = json.loads((out / "metadata" / "sizes.json").read_text())
    assert sum(sizes.values()) == kept(out) == int((out / "shards" / "__len__").read_text())
    for name, n in sizes.items():
        stats = json.loads((out / "metadata" / name.replace(".tar", "_stats.json")).read_text())
        assert stats["successes"] == n


def test_webdataset_reads_every_sample_with_one_member_set(output):
    kind, out = output
    urls = [str(p) for p in OutputFolder(out).shard_paths()]
    samples = list(wds.WebDataset(urls, shardshuffle=False).decode("pil"))
    assert len(samples) == kept(out) > 0
    assert len({tuple(sorted(s)) for s in samples}) == 1
    for s in samples:
        meta = s["json"]
        assert meta["key"] == s["__key__"] and None not in meta.values()
        if kind == "pairs":
            assert s["txt"] == meta["caption"] and meta["status"] == "success"
            assert len(meta["uid"]) == 32 and int(meta["uid"], 16) >= 0
            assert s["jpg"].size == (meta["width"], meta["height"])
        else:  # OBELICS: images are URLs, one image per position where texts is null
            images = s["images.mp"]
            assert len(images) == len(meta["texts"]) == len(meta["images"])
            assert all((t is None) == (u is not None) for t, u in zip(meta["texts"], meta["images"],
                                                                      strict=True))
            assert isinstance(json.loads(meta["metadata"]), list)
            assert json.loads(meta["general_metadata"])["url"] == meta["url"]


def test_ray_data_reads_the_folder_as_it_is(output, ray_local):
    kind, out = output
    rows = ray_local.data.read_webdataset(str(out / "shards")).take_all()
    assert len(rows) == kept(out)
    assert all(r["json"]["key"] == r["__key__"].rsplit("/", 1)[-1] for r in rows)


def test_loader_ray_dataset_yields_pairs_and_documents(output, ray_local):
    from engine.output.loader import ray_dataset

    kind, out = output
    rows = ray_dataset(out).take_all()
    assert len(rows) == kept(out)
    if kind == "docs":
        with_images = [r for r in rows if any(i is not None for i in r["images"])]
        assert with_images and all(len(r["texts"]) == len(r["images"]) for r in rows)


def test_hugging_face_datasets_reads_inferred_and_typed(output, tmp_path):
    from datasets import load_dataset

    kind, out = output
    cache = str(tmp_path / "hf")
    inferred = load_dataset("webdataset", data_dir=str(out / "shards"), split="train", cache_dir=cache)
    typed = load_dataset(str(out), split="train", cache_dir=cache)
    assert len(inferred) == len(typed) == kept(out)
    json_type = typed.features["json"]
    if kind == "pairs":
        assert json_type["error_message"].dtype == "string" and json_type["uid"].dtype == "string"
        assert typed.features["jpg"].__class__.__name__ == "Image"
        assert {r["status"] for r in typed["json"]} == {"success"}
    else:
        assert json_type["texts"].feature.dtype == "string"
        row = typed[0]
        assert len(row["images.mp"]) == len(row["json"]["texts"])
        assert unpack_images(__import__("msgpack").packb(row["images.mp"])) is not None


def test_the_cards_python_examples_run_from_the_folder(output, monkeypatch, ray_local):
    kind, out = output
    card = (out / "README.md").read_text()
    blocks = code_blocks(card, "python")
    assert len(blocks) == 4 and "training_dataset" in blocks[0]
    monkeypatch.chdir(out)  # the examples name the folder that holds the card as "."
    monkeypatch.setenv("HF_DATASETS_CACHE", str(out.parent / f"hf-{kind}"))
    for block in blocks:
        exec(compile(block, f"{out}/README.md", "exec"), {})  # noqa: S102 - the card's own code
