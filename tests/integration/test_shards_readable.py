"""The shards load as they are with webdataset and with Ray Data."""

import pytest
import webdataset as wds

from tests.integration.runs import demo_corpus, run_demo

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def output(tmp_path_factory, ray_local):
    tmp = tmp_path_factory.mktemp("readable")
    manifest = run_demo([demo_corpus(tmp / "in", count=60)], tmp / "out", samples_per_shard=20)
    return tmp / "out", manifest


def test_webdataset_decodes_every_sample(output):
    out, manifest = output
    urls = [str(out / s["name"]) for s in manifest["shards"]]
    samples = list(wds.WebDataset(urls, shardshuffle=False).decode("pil"))
    assert len(samples) == manifest["totals"]["kept"]
    for s in samples:
        image = s.get("jpg") or s.get("png") or s.get("webp")
        assert image.size[0] >= 64 and s["txt"] == s["json"]["caption"]
        assert s["json"]["key"] == s["__key__"]


def test_ray_data_reads_the_shards(output):
    import ray

    out, manifest = output
    ds = ray.data.read_webdataset(str(out / "shards"), file_extensions=["tar"])
    rows = ds.take_all()
    assert len(rows) == manifest["totals"]["kept"]
    assert all("txt" in r and "json" in r for r in rows)
