"""The inspection tools on a real run's output: report, card, stats, reshard, training loader and
the Ray Data path, all on what the demo job writes."""

import json
import re

import pytest

from engine.output.card import write_card
from engine.output.folder import OutputFolder
from engine.output.loader import ray_dataset, training_dataset
from engine.output.reshard import reshard
from engine.output.stats import kept_percentiles, score_percentiles
from engine.output.verify import verify_output
from engine.report import build_report
from tests.integration.runs import demo_corpus, run_demo


@pytest.fixture(scope="module")
def run(tmp_path_factory, ray_local):
    tmp = tmp_path_factory.mktemp("real")
    manifest = run_demo([demo_corpus(tmp / "in", count=60)], tmp / "out", samples_per_shard=15)
    return tmp / "out", manifest


def test_report_of_a_real_run(run):
    out, manifest = run
    page = build_report(out, kept=10, rejected=10)
    for name, counts in manifest["stages"].items():
        assert re.search(rf'data-stage="{name}">.*?{counts["kept"]:,} · ', page, re.S)
    rejecting = {n for n, c in manifest["stages"].items() if c["rejected"]}
    shown = set(re.findall(r'data-kind="rejected" data-stage="([^"]+)"', page))
    assert shown == rejecting or len(shown) == 10
    assert page.count('data-kind="kept"') == min(10, manifest["totals"]["kept"])
    scored = {col for s in json.loads((out / "stats.json").read_text())["stages"].values()
              for col in s.get("histograms", {})}
    for col in scored:
        assert f'data-column="{col}"' in page


def test_card_and_percentiles_of_a_real_run(run):
    out, manifest = run
    card = write_card(out).read_text()
    assert f"**{manifest['totals']['kept']:,}** samples kept" in card
    for stage in manifest["job"]["stages"]:
        assert f"| {stage['name']} | {stage['class']} |" in card
    result = score_percentiles(out)
    assert [r["stage"] for r in result["pass_rates"]][0] == "read"
    assert all(e["kept"]["n"] == manifest["totals"]["kept"]
               for e in result["percentiles"].values())


def test_the_cards_percentiles_come_from_sketches_equal_to_the_exact_ones(run):
    out, manifest = run
    sketched, from_sketches = kept_percentiles(OutputFolder(out))
    assert from_sketches and manifest["totals"]["kept"] <= 200  # n <= k: the sketch is exact
    exact = score_percentiles(out)["percentiles"]
    scored = {col for s in json.loads((out / "stats.json").read_text())["stages"].values()
              for col in s.get("histograms", {})}
    assert scored and set(sketched) == scored
    card = write_card(out).read_text()
    for col, entry in sketched.items():
        kept, want = dict(entry["kept"]), dict(exact[col]["kept"])
        assert kept.pop("mean") == pytest.approx(want.pop("mean"), abs=2e-6)
        assert kept == want
        assert (entry["threshold"], entry["direction"]) == (exact[col]["threshold"], exact[col]["direction"])
        cells = " | ".join(f"{want[p]:.4g}" for p in ("p5", "p50", "p95"))
        assert f"| {want['n']:,} | {cells} |" in card
    assert "KLL sketches (k=200)" in card


def test_reshard_of_a_real_run_verifies(run, tmp_path):
    out, manifest = run
    new = reshard(out, tmp_path / "re", 7)
    assert verify_output(tmp_path / "re") == []
    assert sum(s["samples"] for s in new["shards"]) == manifest["totals"]["kept"]
    assert [s.key for s in OutputFolder(tmp_path / "re").samples()] == [
        s.key for s in OutputFolder(out).samples()]


def test_loaders_read_every_kept_sample_once(run):
    out, manifest = run
    kept = OutputFolder(out).metadata(["key"]).column("key").to_pylist()
    from torch.utils.data import DataLoader

    from engine.output.loader import collate

    keys = []
    for batch in DataLoader(training_dataset(out, shuffle_buffer=16), batch_size=8,
                            num_workers=2, collate_fn=collate):
        keys += batch["key"]
    assert sorted(keys) == sorted(kept)
    rows = ray_dataset(out, decode=True).take_all()
    assert sorted(r["key"] for r in rows) == sorted(kept)
    assert all(r["caption_source"] == "alt" and r["image"].ndim == 3 for r in rows)
