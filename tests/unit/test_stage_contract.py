"""The stage contract as the runner applies it: alive rows only, verdicts, errors isolated."""

import pyarrow as pa
import pytest

from engine import columns as C
from engine.job import Job, Params
from engine.runner.apply_stages import StageError, apply_stage, prepare
from engine.sinks import WebDatasetSink
from engine.sources.base import Source, Unit
from engine.stage import Filter, Resources, Stage, Verdicts


def unit_table(n=6):
    table = pa.table({"key": [f"k{i}" for i in range(n)], "caption": [f"c{i}" for i in range(n)],
                      "image": [b"bytes%d" % i for i in range(n)]})
    return prepare(table, Unit(0, "x", 0, n, 100))


class RejectOdd(Filter):
    def __call__(self, batch):
        idx = [int(k[1:]) for k in batch.column("key").to_pylist()]
        return self.verdict(batch, ["odd" if i % 2 else None for i in idx], scores=idx, thresholds=1.0)


class Counting(Stage):
    resources = Resources(batch_size=2)

    def __init__(self):
        super().__init__()
        self.calls = []

    def __call__(self, batch):
        self.calls.append(batch.num_rows)
        return batch.append_column("seen", pa.array([True] * batch.num_rows))


def test_prepare_adds_unit_seq_and_reject_columns():
    table = unit_table(3)
    assert table.column(C.SEQ).to_pylist() == [100, 101, 102]
    assert table.column(C.UNIT).to_pylist() == [0, 0, 0]
    assert table.column(C.REJECT_STAGE).null_count == 3


def test_filter_verdict_marks_rejects_and_clears_their_payload():
    out = apply_stage(RejectOdd(), unit_table())
    rows = {r["key"]: r for r in out.to_pylist()}
    assert rows["k1"][C.REJECT_STAGE] == "reject_odd" and rows["k1"][C.REJECT_REASON] == "odd"
    assert rows["k1"][C.REJECT_SCORE] == 1.0 and rows["k1"][C.REJECT_THRESHOLD] == 1.0
    assert rows["k1"]["image"] is None, "rejected bytes must travel no further"
    assert rows["k2"][C.REJECT_STAGE] is None and rows["k2"]["image"] == b"bytes2"
    assert out.num_rows == 6



class RejectLongCaptions(Filter):
    """Decides row by row with :class:`Verdicts`."""

    def __call__(self, batch):
        verdicts = Verdicts()
        for caption in batch.column("caption").to_pylist():
            if caption.endswith(("3", "4")):
                verdicts.reject("caption_3_or_4", float(len(caption)), 1.5, f"caption={caption}")
            else:
                verdicts.keep(float(len(caption)))
        return self.verdict(batch.append_column("caption_len", pa.array(verdicts.scores)),
                            **verdicts.columns())


def test_verdicts_collect_reasons_scores_thresholds_and_details_row_by_row():
    out = apply_stage(RejectLongCaptions(), unit_table())
    rows = {r["key"]: r for r in out.to_pylist()}
    assert [rows[f"k{i}"][C.REJECT_REASON] for i in range(6)] == [None, None, None, "caption_3_or_4",
                                                                 "caption_3_or_4", None]
    assert rows["k3"][C.REJECT_STAGE] == "reject_long_captions" and rows["k4"][C.REJECT_SCORE] == 2.0
    assert rows["k3"][C.REJECT_THRESHOLD] == 1.5 and rows["k3"][C.REJECT_DETAIL] == "caption=c3"
    assert rows["k0"]["caption_len"] == 2.0, "kept rows keep their score column"
    assert rows["k0"][C.REJECT_SCORE] is None and rows["k0"][C.REJECT_THRESHOLD] is None

def test_later_stages_see_only_alive_rows_in_batches():
    counting = Counting()
    out = apply_stage(counting, apply_stage(RejectOdd(), unit_table()))
    assert counting.calls == [2, 1]
    seen = {r["key"]: r["seen"] for r in out.to_pylist()}
    assert seen == {"k0": True, "k2": True, "k4": True, "k1": None, "k3": None, "k5": None}


class FailsOnK3(Stage):
    def __call__(self, batch):
        if "k3" in batch.column("key").to_pylist():
            raise ValueError("cannot handle k3")
        return batch


def test_a_record_that_breaks_a_stage_is_rejected_with_the_error():
    out = apply_stage(FailsOnK3(), unit_table())
    rows = {r["key"]: r for r in out.to_pylist()}
    assert rows["k3"][C.REJECT_REASON] == "stage_error"
    assert "cannot handle k3" in rows["k3"][C.REJECT_DETAIL]
    assert all(rows[k][C.REJECT_STAGE] is None for k in ("k0", "k1", "k2", "k4", "k5"))


class AlwaysFails(Stage):
    def __call__(self, batch):
        raise RuntimeError("bug")


def test_a_stage_failing_on_every_record_is_an_error_not_a_mass_reject():
    with pytest.raises(StageError, match="failed on every record"):
        apply_stage(AlwaysFails(), unit_table())


class DropsRows(Stage):
    def __call__(self, batch):
        return batch.slice(1)


def test_dropping_rows_breaks_the_contract():
    with pytest.raises(StageError, match="never drop rows"):
        apply_stage(DropsRows(), unit_table())


def test_stage_names_are_validated_and_unique_in_a_job():
    with pytest.raises(ValueError, match="ASCII"):
        Stage(name="ünïcode")
    with pytest.raises(ValueError, match="unique"):
        Job(source=Source(), stages=[RejectOdd(), RejectOdd()], sink=WebDatasetSink(), out="/tmp/x")


def test_needs_setup_decides_actor_or_task():
    class WithModel(Stage):
        def setup(self):
            self.model = object()

    assert WithModel().needs_setup and not Counting().needs_setup


def test_params_are_typed_and_typos_are_caught():
    from engine.params import Param, ParamSet

    declared = ParamSet(Param("min_side", int, 0, "h"), Param("flag", bool, False, "h"),
                        Param("names", list, [], "h"), Param("missing", float, 1.5, "h"))
    params = declared.resolve(Params.parse(["min_side=64", "flag=yes", "names=a, b"]).as_dict())
    assert params.min_side == 64 and params.flag is True
    assert params.names == ["a", "b"] and params.missing == 1.5
    with pytest.raises(ValueError, match="unknown --param typo"):
        declared.resolve({"typo": "1"})
    with pytest.raises(ValueError, match="not an integer"):
        declared.resolve({"min_side": "x"})


def test_resources_always_leave_room_for_every_stage():
    from engine.runner.execute import plan_resources

    class Model(Stage):
        def __init__(self, name, cpus, concurrency=None):
            super().__init__(name=name, resources=Resources(num_cpus=cpus, concurrency=concurrency))

        def setup(self):
            pass

    class Task(Stage):
        def __call__(self, batch):
            return batch

    assert plan_resources([Model("a", 1.0)], workers=2, cluster_cpus=2)["a"] == (2, 0.5)
    assert plan_resources([Model("a", 0.5)], workers=2, cluster_cpus=2)["a"] == (2, 0.5)
    assert plan_resources([Model("a", 2.0, 4)], workers=None, cluster_cpus=16)["a"] == (4, 2.0)
    stages = [Model("fetch", 0.5), Model("nsfw", 1.0), Model("clip", 1.0), Task(name="lang")]
    plans = plan_resources(stages, workers=None, cluster_cpus=2)
    actors = sum(size * cpus for name, (size, cpus) in plans.items() if name in ("fetch", "nsfw", "clip"))
    assert actors == pytest.approx(1.0) and plans["lang"] == (None, 1.0)
    # two 1-CPU nodes, an actor on each: every task must fit in what one node has left
    two = plan_resources([Model("tag", 1.0, 2), Task(name="probe")], workers=None, cluster_cpus=2, nodes=2)
    assert two["tag"] == (2, 0.5) and two["probe"][1] == 0.5 and two["__read_write__"][1] == 0.5
