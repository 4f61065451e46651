"""The training loader reads every kept sample exactly once per epoch, however it is split."""

import collections

import pytest
import torch
from torch.utils.data import DataLoader

from engine.output.folder import OutputFolder
from engine.output.loader import collate, training_dataset
from tests.unit.output_fixture import write_documents, write_output


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    return write_output(tmp_path_factory.mktemp("out") / "run", kept=120, shards=8)


def _keys(output) -> list[str]:
    return OutputFolder(output).metadata(["key"]).column("key").to_pylist()


def _epoch(ds, workers: int) -> list[str]:
    keys = []
    for batch in DataLoader(ds, batch_size=16, num_workers=workers, collate_fn=collate):
        keys += batch["key"]
    return keys


def test_two_workers_yield_every_sample_exactly_once(output):
    ds = training_dataset(output, caption="mix:dense:0.8", shuffle_buffer=32, seed=7,
                          decode=None)
    keys = _epoch(ds, workers=2)
    assert collections.Counter(keys) == collections.Counter(_keys(output))
    assert keys != _keys(output), "shards and samples are shuffled"


def test_nodes_and_workers_split_without_overlap(output):
    seen = []
    for rank in range(2):
        ds = training_dataset(output, shuffle_buffer=8, seed=3, decode=None, rank=rank,
                              world_size=2)
        part = _epoch(ds, workers=2)
        assert 0 < len(part) < 120
        seen += part
    assert sorted(seen) == sorted(_keys(output))


def test_fewer_shards_than_workers_still_exactly_once(tmp_path):
    out = write_output(tmp_path / "run", kept=30, shards=1)
    ds = training_dataset(out, shuffle_buffer=4, decode=None, world_size=1, rank=0)
    assert sorted(_epoch(ds, workers=2)) == sorted(_keys(out))


def test_epochs_reshuffle_deterministically(output):
    ds = training_dataset(output, shuffle_buffer=50, seed=1, decode=None)
    first = [s["key"] for s in ds]
    assert [s["key"] for s in ds] == first
    ds.set_epoch(1)
    second = [s["key"] for s in ds]
    assert second != first and sorted(second) == sorted(first)


def test_score_filters_read_stored_scores_without_rewriting(output):
    rows = OutputFolder(output).metadata(["key", "crosscheck_rate"]).to_pylist()
    want = {r["key"] for r in rows
            if r["crosscheck_rate"] is not None and r["crosscheck_rate"] <= 0.2}
    assert 0 < len(want) < len(rows)
    ds = training_dataset(output, filters=["crosscheck_rate<=0.2"], decode=None)
    got = _epoch(ds, workers=2)
    assert sorted(got) == sorted(want)
    both = training_dataset(output, filters=["crosscheck_rate<=0.2", "clip_score>=0.33"],
                            decode=None)
    assert {s["key"] for s in both} == {
        r["key"] for r in OutputFolder(output).metadata().to_pylist()
        if r["key"] in want and r["clip_score"] >= 0.33}


def test_decoding_transform_and_collate(output):
    ds = training_dataset(output, decode="torch", transform=lambda t: t[:, :64, :64].float(),
                          shuffle_buffer=1)
    batch = next(iter(DataLoader(ds, batch_size=4, collate_fn=collate)))
    assert batch["image"].shape == (4, 3, 64, 64) and batch["image"].dtype == torch.float32
    assert len(batch["caption"]) == 4 and isinstance(batch["meta"][0], dict)
    pil = next(iter(training_dataset(output, decode="pil")))
    assert pil["image"].mode == "RGB" and pil["image"].size == (96, 72)


def test_documents_come_in_reading_order(tmp_path):
    out = write_documents(write_output(tmp_path / "run", kept=0, shards=1), docs=2)
    docs = list(training_dataset(out, decode="rgb8", shuffle_buffer=1, shuffle_shards=False))
    assert len(docs) == 2
    texts, images = docs[0]["texts"], docs[0]["images"]
    assert texts[0].startswith("Heading") and texts[1] is None and texts[3] is None
    assert images[0] is None and images[1].shape == (72, 96, 3) and images[3] is not None


def test_bad_settings_are_refused(output):
    with pytest.raises(ValueError, match="rank"):
        training_dataset(output, rank=2, world_size=2)
    with pytest.raises(ValueError, match="score filter"):
        training_dataset(output, filters=["hallucination rate < x"])
