"""Phases: consecutive global stages share one boundary, so a job passes over its data once to
produce every signature and once to apply every decision."""

import pyarrow as pa

from engine.runner.phases import plan_phases
from engine.stage import GlobalStage, Stage


class Step(Stage):
    def __call__(self, batch: pa.Table) -> pa.Table:
        return batch


class Global(GlobalStage):
    pass


def names(stages):
    return [s.name for s in stages]


def test_consecutive_global_stages_share_a_boundary():
    a, b, c = Step(name="a"), Step(name="b"), Step(name="c")
    g, h, k = Global(name="g"), Global(name="h"), Global(name="k")
    phases = plan_phases([a, g, h, b, k, c])
    assert [(names(p.applies), names(p.stages), names(p.emits)) for p in phases] == [
        ([], ["a"], ["g", "h"]),
        (["g", "h"], ["b"], ["k"]),
        (["k"], ["c"], []),
    ]
    assert [p.final for p in phases] == [False, False, True]


def test_global_stages_first_and_last():
    g, h = Global(name="g"), Global(name="h")
    phases = plan_phases([g, h])
    assert [(names(p.applies), names(p.stages), names(p.emits)) for p in phases] == [
        ([], [], ["g", "h"]), (["g", "h"], [], [])]
    assert [len(p.partitions) for p in phases] == [2, 0]
    assert [(names(p.applies), names(p.emits)) for p in plan_phases([Step(name="a")])] == [([], [])]


def test_a_pairs_job_passes_twice_over_fetched_images(tmp_path):
    import pyarrow.parquet as pq

    from engine.job import Params
    from engine.jobfile import build_job

    pq.write_table(pa.table({"url": ["http://example.invalid/a.jpg"], "caption": ["a"]}), tmp_path / "u.parquet")
    job = build_job("pairs", [str(tmp_path / "u.parquet")], str(tmp_path / "out"), Params({}))
    phases = plan_phases(job.stages)
    fetched = next(p.index for p in phases if "fetch" in names(p.stages))
    assert len(phases) - fetched == 2  # the pass that fetches, and the one that applies and writes
    assert names(phases[fetched].emits) == ["exact_duplicates", "near_duplicates"]
