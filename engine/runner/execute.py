"""One phase of a job on Ray Data: read each pending unit, run the stages, write the unit.

Each unit travels as one block from read to write, so the writer sees the whole unit and can
publish it atomically. Stages with ``setup()`` run in actor pools; the others as tasks.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import pyarrow as pa
import ray
from ray.data import ActorPoolStrategy, DataContext, TaskPoolStrategy

from engine import columns as C
from engine.runner.phases import Phase
from engine.runner.unit_io import ReadUnit, WriteUnit
from engine.runner.unit_ops import apply_stage
from engine.sinks.base import Sink
from engine.sources.base import Source, Unit
from engine.stage import Stage, set_columns

log = logging.getLogger("loomery")


class StageActor:
    """Ray Data actor: runs ``setup()`` once, then the stage on each unit it is handed."""

    def __init__(self, stage: Stage):
        self.stage = stage
        stage.setup()

    def __call__(self, table):
        return run_stage_here(self.stage, table)


def run_stage_here(stage: Stage, table: pa.Table) -> pa.Table:
    """Apply ``stage`` and record which Ray node did it (``stats.json`` counts rows per node)."""
    out = apply_stage(stage, table)
    node = ray.get_runtime_context().get_node_id()
    return set_columns(out, {C.NODE_PREFIX + stage.name: pa.array([node] * out.num_rows, pa.string())})


def configure_ray_data() -> None:
    """Blocks hold whole units: never split them by size. Keep the console quiet."""
    ctx = DataContext.get_current()
    ctx.target_max_block_size = None
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def run_phase(
    phase: Phase,
    units: list[Unit],
    *,
    source: Source,
    sink: Sink,
    out: str,
    order: list[str],
    ranges: dict,
    decisions=None,
    workers: int | None = None,
    on_unit: Callable[[int], None] = lambda unit: None,
) -> None:
    """Process ``units`` through ``phase``; ``on_unit`` is called as each unit is published."""
    if not units:
        return
    configure_ray_data()
    tasks = TaskPoolStrategy(size=workers) if workers else None
    by_index = {u.index: u for u in units}
    ds = ray.data.from_items([{"unit": u.index} for u in units], override_num_blocks=len(units))
    read = ReadUnit(phase, source, by_index, out, decisions)
    ds = ds.map_batches(_as_function(read), batch_size=1, batch_format="pyarrow", compute=tasks)
    pools = actor_pools(phase.stages, workers, ray.cluster_resources().get("CPU", 1.0))
    for stage in phase.stages:
        res = stage.resources
        options = {k: v for k, v in {"num_cpus": res.num_cpus, "num_gpus": res.num_gpus or None}.items() if v}
        if stage.needs_setup:
            size, options["num_cpus"] = pools[stage.name]
            ds = ds.map_batches(StageActor, fn_constructor_args=(stage,), batch_size=None,
                                batch_format="pyarrow", compute=ActorPoolStrategy(size=size), **options)
        else:
            size = min(filter(None, (res.concurrency, workers))) if (res.concurrency or workers) else None
            ds = ds.map_batches(functools.partial(run_stage_here, stage), batch_size=None,
                                batch_format="pyarrow", compute=TaskPoolStrategy(size=size) if size else None,
                                **options)
    write = WriteUnit(phase, out, sink, order, ranges)
    ds = ds.map_batches(_as_function(write), batch_size=None, batch_format="pyarrow", compute=tasks)
    for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
        for unit in batch.column("unit").to_pylist():
            on_unit(unit)


def actor_pools(stages: list[Stage], workers: int | None, cluster_cpus: float) -> dict[str, tuple[int, float]]:
    """Actors and CPUs per actor for each setup() stage of a phase.

    Actor pools hold their CPUs for the whole phase, so they may take at most the cluster's CPUs
    less one (kept for the read and write tasks): pools that took them all would leave units
    waiting to be read forever. Pools are shrunk, then their per-actor CPU requests, to fit.
    """
    budget = max(cluster_cpus - 1.0, cluster_cpus / 2)
    plans = {}
    for stage in (s for s in stages if s.needs_setup):
        wanted = min(filter(None, (stage.resources.concurrency, workers))) if (
            stage.resources.concurrency or workers) else 1
        cpus = stage.resources.num_cpus
        size = max(1, min(wanted, int(budget // cpus) if cpus else wanted))
        plans[stage.name] = (size, min(cpus, budget / size) if cpus else cpus)
        budget = max(budget - size * plans[stage.name][1], 0.1)
    return plans


def _as_function(callable_object) -> Callable:
    """Ray Data runs callable classes as actors; wrap instances so that they run as tasks."""
    return functools.partial(_invoke, callable_object)


def _invoke(callable_object, batch):
    return callable_object(batch)
