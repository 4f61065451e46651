"""One phase of a job on Ray Data: read each pending unit, run the stages, write the unit.

Each unit travels as one block from read to write, so the writer sees the whole unit and can
publish it atomically. Stages with ``setup()`` run in actor pools; the others as tasks.
Consecutive task steps (the read, the stages without ``setup()``, the write) run as one task per
unit: a unit's table then never enters Ray's object store between them (see :func:`fused_steps`).
A phase that is one such task per unit runs as plain Ray tasks, without Ray Data
(``engine/runner/unit_tasks.py``).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable

import pyarrow as pa
import ray

from engine import columns as C
from engine.fetch.hostgate_client import GateRef, install_job_gate
from engine.runner.apply_stages import apply_stage
from engine.runner.hostgate_actors import wait_for_gate
from engine.runner.phases import Phase
from engine.runner.unit_read_write import ReadUnit, WriteUnit
from engine.runner.unit_tasks import run_unit_tasks
from engine.sinks.base import Sink
from engine.sources.base import Source, Unit
from engine.stage import Stage, set_columns

log = logging.getLogger("loomery")


class StageActor:
    """Ray Data actor: runs ``setup()`` once, then the stage on each unit it is handed. The
    job's host gate, when the run has one, is installed first so that ``setup()`` finds it."""

    def __init__(self, stage: Stage, gate: GateRef | None = None):
        install_job_gate(gate)
        self.stage, self.gate = stage, gate
        stage.setup()

    def __call__(self, table):
        return run_stage_here(self.stage, table, self.gate)


def run_stage_here(stage: Stage, table: pa.Table, gate: GateRef | None = None) -> pa.Table:
    """Apply ``stage`` and record which Ray node did it (``stats.json`` counts rows per node)."""
    install_job_gate(gate)  # task workers outlive a run: never leave a finished run's gate
    out = apply_stage(stage, table)
    node = ray.get_runtime_context().get_node_id()
    return set_columns(out, {C.NODE_PREFIX + stage.name: pa.array([node] * out.num_rows, pa.string())})


class ReadStep:
    """The read, which publishes an empty unit at once: a byte range may hold no record, and a
    table with no rows cannot tell the write which unit it is. ``published`` then holds the
    write's summary row; steps in other operators see an empty table and the write passes it by.
    A unit this phase already published (a task retried after its first attempt got that far)
    is passed by the same way: its staged input may be gone already."""

    def __init__(self, read: ReadUnit, write: WriteUnit):
        self.read, self.write = read, write
        self.published: pa.Table | None = None

    def __call__(self, batch: pa.Table, unit: Unit | None = None) -> pa.Table:
        self.published = self.write.already_published(batch.column("unit")[0].as_py())
        if self.published is not None:
            return batch.slice(0, 0)
        table = self.read(batch, unit)
        if table.num_rows == 0:
            self.published = self.write(table, unit=batch.column("unit")[0].as_py())
        return table


class Fused:
    """Ray Data function: several task steps applied in turn to one batch, in one task."""

    def __init__(self, steps: list[Callable]):
        self.steps = steps
        self.writes = isinstance(steps[-1], WriteUnit)

    def __call__(self, table, unit: Unit | None = None):
        """``unit``: the unit the one-row ``table`` names, where the caller has it at hand
        (plain tasks); the read then needs no table of the job's units."""
        for step in self.steps:
            table = step(table, unit) if isinstance(step, ReadStep) else step(table)
            if self.writes and isinstance(step, ReadStep) and step.published is not None:
                return step.published  # an empty unit, already written: its summary row
        return table


def configure_ray_data() -> None:
    """Blocks hold whole units: never split them by size. Keep the console quiet."""
    from ray.data import DataContext  # imported only by phases that use Ray Data

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
    gate: GateRef | None = None,
    on_unit: Callable[[int], None] = lambda unit: None,
) -> None:
    """Process ``units`` through ``phase``; ``on_unit`` is called as each unit is published.
    ``gate`` is the job's host gate (``engine/runner/hostgate_actors.py``), handed to every stage."""
    if not units:
        return
    if gate is not None and any(getattr(s, "uses_host_gate", False) for s in phase.stages):
        wait_for_gate(gate)  # started without waiting for it; a gate that failed fails here
    nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
    cluster = ray.cluster_resources()
    plans = plan_resources(phase.stages, workers, cluster.get("CPU", 1.0), nodes, cluster.get("GPU", 0.0))
    write = WriteUnit(phase, out, sink, order, ranges)
    if not any(s.needs_setup or s.resources.num_gpus for s in phase.stages):  # one task per unit
        read = ReadUnit(phase, source, {}, out, decisions)  # each task is handed its unit
        [(steps, size, options, _)] = fused_steps(phase.stages, plans, ReadStep(read, write), write, workers, gate)
        run_unit_tasks(Fused(steps), units, num_cpus=options["num_cpus"], limit=size, on_unit=on_unit)
        return
    from ray.data import TaskPoolStrategy, from_items  # only phases with an actor stage import Ray Data

    configure_ray_data()
    ds = from_items([{"unit": u.index} for u in units], override_num_blocks=len(units))
    read = ReadUnit(phase, source, {u.index: u for u in units}, out, decisions)
    for steps, size, options, batch_size in fused_steps(phase.stages, plans, ReadStep(read, write), write,
                                                        workers, gate):
        if isinstance(steps, Stage):
            ds = ds.map_batches(StageActor, fn_constructor_args=(steps, gate), batch_size=None,
                                batch_format="pyarrow", compute=pool_strategy(steps, size, workers), **options)
        else:
            ds = ds.map_batches(_as_function(Fused(steps)), batch_size=batch_size, batch_format="pyarrow",
                                compute=TaskPoolStrategy(size=size) if size else None, **options)
    for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
        for unit in batch.column("unit").to_pylist():
            on_unit(unit)


def fused_steps(stages: list[Stage], plans: dict, read: Callable, write: Callable, workers: int | None,
                gate: GateRef | None = None):
    """The phase as Ray Data operators: ``(steps, size, options, batch_size)`` each, where
    ``steps`` is a stage with ``setup()`` (an actor pool of ``size``) or a list of task steps
    run one after another in one task (at most ``size`` at once; None: as the cluster allows).

    A fused task asks for the most CPUs any of its steps asks for, and the smallest task limit.
    Unfused, each step was its own operator and each unit's table went through the object store
    between them (a copy in and out per step, and blocks waiting there when a later operator
    lags: at 200k records, 710 MB of staged tables against a 512 MB store).
    """
    io_cpus = plans[IO][1]
    groups: list = []
    steps: list[Callable] = [read]
    cpus, size, batch_size = io_cpus, workers, 1  # the read's batch is the one row naming a unit

    def close():
        if steps:
            groups.append((list(steps), size, {"num_cpus": cpus}, batch_size))

    for stage in stages:
        limit, stage_cpus = plans[stage.name]
        if stage.needs_setup or stage.resources.num_gpus:
            close()
            steps, cpus, size, batch_size = [], io_cpus, workers, None
            options = {"num_cpus": stage_cpus, **({"num_gpus": stage.resources.num_gpus}
                                                  if stage.resources.num_gpus else {})}
            if stage.needs_setup:
                groups.append((stage, limit, options, None))
            else:
                groups.append(([functools.partial(run_stage_here, stage, gate=gate)], limit, options, None))
            continue
        steps.append(functools.partial(run_stage_here, stage, gate=gate))
        cpus = max(cpus, stage_cpus)
        size = min(filter(None, (size, limit)), default=None)
    steps.append(write)
    close()
    return groups


IO = "__read_write__"  # the plan's entry for the tasks that read and write units
SIZING_CPUS_FLOOR = 0.1  # a pool asking for no CPU is sized as if it asked this much
TASK_SHARE = 1 / 16  # of a big cluster's CPUs kept for tasks: one per node of 16


def plan_resources(
    stages: list[Stage], workers: int | None, cluster_cpus: float, nodes: int = 1,
    cluster_gpus: float = 0.0,
) -> dict[str, tuple[int | None, float]]:
    """(actors or task parallelism, CPUs each) for every stage of a phase.

    Actor pools hold their CPUs while they run. They get the cluster's CPUs less a reserve (one
    in ``1 / TASK_SHARE``, at least one CPU or half of a smaller cluster) for the tasks that read,
    filter and write units. A pool with a size (``workers`` or the stage's concurrency) gets that
    size; the others (:func:`autoscales`) share what is left equally, each as many actors as its
    share holds (at least one; a GPU stage no more than the cluster's GPUs hold), and run from one
    actor up to that size. If the pools want more than there is, their per-actor CPU requests are scaled down
    to fit. A task's request is capped at what the pools leave on one node (pools spread over the
    nodes), so that every stage can always be scheduled; the read and write tasks get the same
    cap (entry ``IO``).
    """
    reserve = max(min(1.0, cluster_cpus / 2), cluster_cpus * TASK_SHARE)
    plans: dict[str, tuple[int | None, float]] = {}
    for stage in stages:
        limit = _limit(stage, workers)
        plans[stage.name] = ((limit or 1) if stage.needs_setup else limit, stage.resources.num_cpus)
    actors = [s for s in stages if s.needs_setup]
    sized = sum(plans[s.name][0] * plans[s.name][1] for s in actors if not autoscales(s, workers))
    # GPU pools first: their GPUs may hold fewer actors than their share, the rest passes on.
    growing = sorted((s for s in actors if autoscales(s, workers)), key=lambda s: not s.resources.num_gpus)
    room = max(0.0, cluster_cpus - reserve - sized)
    for i, stage in enumerate(growing):
        res = stage.resources
        share = room / (len(growing) - i)
        size = max(1, math.floor(share / max(res.num_cpus, SIZING_CPUS_FLOOR) + 1e-9))
        if res.num_gpus:
            size = max(1, min(size, math.floor(cluster_gpus / res.num_gpus + 1e-9)))
        plans[stage.name] = (size, res.num_cpus)
        room = max(0.0, room - size * res.num_cpus)
    demand = sum(plans[s.name][0] * plans[s.name][1] for s in actors)
    scale = min(1.0, (cluster_cpus - reserve) / demand) if demand else 1.0
    for stage in actors:
        plans[stage.name] = (plans[stage.name][0], plans[stage.name][1] * scale)
    per_node = (cluster_cpus - sum(plans[s.name][0] * plans[s.name][1] for s in actors)) / max(1, nodes)
    for stage in stages:
        if not stage.needs_setup:
            plans[stage.name] = (plans[stage.name][0], min(plans[stage.name][1], per_node))
    plans[IO] = (workers, min(1.0, per_node))
    return plans


def _limit(stage: Stage, workers: int | None) -> int | None:
    limits = [n for n in (stage.resources.concurrency, workers) if n]
    return min(limits) if limits else None


def autoscales(stage: Stage, workers: int | None) -> bool:
    """True for an actor pool that nothing sizes (no ``workers``, no stage concurrency): it
    runs from one actor up to its planned size, as the work asks."""
    return stage.needs_setup and _limit(stage, workers) is None


def pool_strategy(stage: Stage, size: int, workers: int | None):
    """The actor pool (Ray Data ``ActorPoolStrategy``) for a planned ``size``: fixed, or
    growing from one actor up to it."""
    from ray.data import ActorPoolStrategy  # see run_phase

    if autoscales(stage, workers) and size > 1:
        return ActorPoolStrategy(min_size=1, max_size=size)
    return ActorPoolStrategy(size=size)


def _as_function(callable_object) -> Callable:
    """Ray Data runs callable classes as actors; wrap instances so that they run as tasks."""
    return functools.partial(_invoke, callable_object)


def _invoke(callable_object, batch):
    return callable_object(batch)
