"""A loader filter on a column no stage wrote is an error; a filter says how many samples it
drops because their value is null."""

import logging

import pytest

from engine.output.folder import OutputFolder
from engine.output.loader import training_dataset
from engine.output.loader_policy import ScoreFilter
from tests.unit.output_fixture import write_output


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    return write_output(tmp_path_factory.mktemp("filters") / "run", kept=40, shards=3)


def test_a_filter_on_a_column_no_stage_wrote_is_an_error(output):
    with pytest.raises(ValueError, match="hallucination_rate: no stage of this output wrote"):
        training_dataset(output, filters=["hallucination_rate<=0.2"])
    with pytest.raises(ValueError, match="crosscheck_rate"):  # the message lists what exists
        training_dataset(output, filters=["hallucination_rate<=0.2"])


def test_a_filter_counts_the_samples_it_drops_for_nulls(output, caplog):
    rates = OutputFolder(output).metadata(["crosscheck_rate"]).column("crosscheck_rate")
    assert 0 < rates.null_count < len(rates)
    with caplog.at_level(logging.WARNING, logger="loomery.loader"):
        ds = training_dataset(output, filters=["crosscheck_rate<=0.2"], decode=None)
    assert ds.null_drops == {"crosscheck_rate<=0.2": rates.null_count}
    assert f"drops {rates.null_count} of {len(rates)} samples" in caplog.text
    # the count is what the filter really drops for nulls: keep_missing brings exactly them back
    strict = {s["key"] for s in ds}
    lenient = training_dataset(output, filters=[ScoreFilter("crosscheck_rate", "<=", 0.2,
                                                            keep_missing=True)], decode=None)
    assert lenient.null_drops == {}
    assert len({s["key"] for s in lenient} - strict) == rates.null_count


def test_a_list_of_tar_urls_is_read_unchecked(output):
    urls = [str(p) for p in OutputFolder(output).shard_paths()]
    assert training_dataset(urls, filters=["anything<=1"], decode=None).null_drops == {}
