"""A phase with no actor stage, run as plain Ray tasks: one task per unit, read to write.

Ray Data adds nothing to such a phase (each unit is one block and one task either way) and
costs a run, measured at 20k records (``bench/pipeline.py``): two actors it starts per job
(``_StatsActor``, ``_AutoscalingCoordinatorActor``: about 1 CPU-s each, a process each),
``import ray.data`` in the driver and in every task worker (0.7 CPU-s each), and the driver's
executor loop, which polls for as long as the phase runs. A phase with an actor stage (a
model's ``setup()``) still runs on Ray Data (``engine/runner/execute.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pyarrow as pa
import ray
from ray.exceptions import RaySystemError

from engine.sources.base import Unit


@ray.remote(max_retries=-1, retry_exceptions=[RaySystemError])  # as Ray Data retries its tasks
def _run_unit(steps: Callable, unit: Unit) -> int:
    """Run the fused steps on one unit; returns the unit's index once it is published."""
    steps(pa.table({"unit": [unit.index]}), unit=unit)
    return unit.index


def run_unit_tasks(steps: Callable, units: list[Unit], *, num_cpus: float, limit: int | None,
                   on_unit: Callable[[int], None]) -> None:
    """Run ``steps`` (an ``execute.Fused`` ending in the unit's write) once per unit, at most
    ``limit`` at once (None: as many as the cluster's CPUs hold, and one more queued); ``on_unit``
    is called as each unit is published. The driver holds one reference per task in flight.

    On a task's error the tasks in flight are cancelled and the error is raised: the units
    published so far stay published, and a rerun resumes after them.
    """
    capacity = max(1, math.floor(ray.cluster_resources().get("CPU", 1.0) / max(num_cpus, 0.1) + 1e-9))
    limit = capacity if limit is None else limit
    if limit >= capacity:
        # one task waits queued, so a worker that finishes a unit starts the next at once
        # instead of idling for a round trip through the driver; the CPUs still cap how many run
        limit = capacity + 1
    steps_ref = ray.put(steps)  # once, not once per task
    task = _run_unit.options(num_cpus=num_cpus)
    todo = iter(units)
    in_flight: list[ray.ObjectRef] = []
    try:
        while True:
            while len(in_flight) < limit:
                unit = next(todo, None)
                if unit is None:
                    break
                in_flight.append(task.remote(steps_ref, unit))
            if not in_flight:
                return
            done, in_flight = ray.wait(in_flight, num_returns=1)
            on_unit(ray.get(done[0]))
    except BaseException:
        for ref in in_flight:
            ray.cancel(ref)
        raise
