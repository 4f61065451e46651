"""Score percentiles, pass rates, thresholds and what-if fractions from stored scores."""

import json

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from engine.output.folder import OutputFolder
from engine.output.scores import ScoreColumn, score_columns
from engine.output.stats import format_percentiles, score_percentiles
from tests.unit.output_fixture import CLIP_THRESHOLD, NSFW_THRESHOLD, write_output


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    return write_output(tmp_path_factory.mktemp("out") / "run", kept=50, shards=4)


def test_percentiles_match_numpy_over_the_sidecars(output):
    result = score_percentiles(output)
    clip = np.concatenate([pq.read_table(p).column("clip_score").to_numpy()
                           for p in sorted((output / "metadata").glob("*.parquet"))])
    entry = result["percentiles"]["clip_score"]
    assert entry["kept"]["n"] == 50
    for p in (1, 5, 25, 50, 75, 95, 99):
        assert entry["kept"][f"p{p}"] == pytest.approx(np.percentile(clip, p), abs=1e-6)
    rejects = pq.read_table(output / "rejects/00000.parquet")
    rejected = rejects.filter(pc.equal(rejects.column("stage"), "clip_score")).column("score")
    both = np.concatenate([clip, rejected.to_numpy()])
    assert entry["with_rejects"]["n"] == both.size
    assert entry["with_rejects"]["p5"] == pytest.approx(np.percentile(both, 5), abs=1e-6)
    assert entry["stage"] == "clip_score"
    assert (entry["threshold"], entry["direction"]) == (CLIP_THRESHOLD, ">=")
    nsfw = result["percentiles"]["nsfw_score"]
    assert (nsfw["threshold"], nsfw["direction"]) == (NSFW_THRESHOLD, "<=")
    assert "clip_score" in format_percentiles(result)


def test_pass_rates_follow_the_pipeline(output):
    rates = score_percentiles(output)["pass_rates"]
    manifest = json.loads((output / "manifest.json").read_text())
    assert [r["stage"] for r in rates] == list(manifest["stages"])
    clip = next(r for r in rates if r["stage"] == "clip_score")
    assert clip["rejected"] == 8 and clip["pass_rate"] == pytest.approx(clip["kept"] / clip["in"])
    assert clip["reasons"]["below_threshold"]["n"] == 8
    for before, after in zip(rates, rates[1:], strict=False):
        assert after["in"] == before["kept"]


def test_what_if_is_exact_at_the_run_threshold_and_monotonic(output):
    cols = {c.name: c for c in score_columns(OutputFolder(output))}
    clip = cols["clip_score"]
    stage = json.loads((output / "manifest.json").read_text())["stages"]["clip_score"]
    assert clip.kept_at(CLIP_THRESHOLD) == pytest.approx(stage["kept"] / stage["in"])
    fractions = [f for _, f in clip.what_if([0.1, 0.2, 0.26, 0.28, 0.30, 0.4])]
    assert fractions == sorted(fractions, reverse=True)
    assert fractions[0] == 1.0 and fractions[-1] == 0.0
    nsfw = cols["nsfw_score"]
    assert nsfw.kept_at(1.0) == 1.0 and nsfw.kept_at(0.0) < 0.1


def test_histogram_fraction_counts_out_of_range_values():
    col = ScoreColumn("s", threshold=None, keep_above=True,
                      histogram={"edges": [0.0, 0.5, 1.0], "counts": [2, 2], "below": 1,
                                 "above": 5})
    assert col.kept_at(0.5) == pytest.approx(7 / 10)
    assert col.kept_at(0.25) == pytest.approx(8 / 10)
    assert col.kept_at(2.0) == pytest.approx(5 / 10)


def test_threshold_comes_from_stage_settings_when_nothing_was_rejected(tmp_path):
    out = write_output(tmp_path / "run", kept=10, shards=1)
    manifest = json.loads((out / "manifest.json").read_text())
    for stage in manifest["job"]["stages"]:
        if stage["name"] == "crosscheck":
            stage["max_rate"] = 0.4
    (out / "manifest.json").write_text(json.dumps(manifest))
    col = {c.name: c for c in score_columns(OutputFolder(out))}["crosscheck_rate"]
    assert (col.threshold, col.keep_above) == (0.4, False)
