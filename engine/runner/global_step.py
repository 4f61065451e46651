"""The global step between two phases, as a shuffle whose cost grows linearly with the run.

Design (N signature rows, U units, B buckets, P partitions, R = P unit ranges, S sub-ranges):

1. **Partitioned signatures.** A unit writes its signature rows cut into P bucket ranges, one
   file per non-empty range (:mod:`engine.runner.partition_files`). P is fixed per run before
   any signature is written and recorded with the phase: ``GlobalStage.partitions``, else 16,
   one per 10M records above 160M records, at most 256 and at most B (:func:`plan_partitions`).
2. **Gather** (P Ray tasks). Task p reads range p's file of every unit (U opens each, U*P in
   all: linear in U for a fixed P) one at a time and streams the rows into S_p sub-range files
   of whole buckets, S_p planned from the files' sizes so that one sub-range is about
   :data:`SUBRANGE_BYTES`. Memory: one unit's file. Bytes read: each signature byte once. A
   partition that fits in one sub-range is decided right there (step 3 in the same task),
   which saves writing and reading its bytes again.
3. **Decide** (S Ray tasks, S = N bytes / SUBRANGE_BYTES). Each reads one sub-range file,
   sorts it by (bucket, unit, seq) and runs ``decide`` bucket by bucket. Plain stages' decision
   rows are sent to the unit(s) holding their key (a join with the bucket's own rows) and
   written as one file sorted by unit. A :class:`~engine.stage.ClusterStage`'s edges are
   written instead (pairs of seqs, and one row per edge end).
3b. **Verify** (cluster stages with ``payloads``: ``NearDuplicates``). Band rows carry no
   payload; ``decide`` writes candidate pairs, which P tasks join with both records' payloads
   (written once per record, in seq-hash partitions) and check (:mod:`engine.runner.global_verify`:
   2 * U * P opens, the payloads read twice, the pairs through the object store twice).
4. **Components** (cluster stages only). Large-star/small-star rounds over all the edges as
   Ray tasks, edges shuffled through the object store (:mod:`engine.runner.components`); then
   each end row is joined with its node's label and shuffled by label, so that one task holds
   whole clusters and ``cluster_decisions`` picks each cluster's keeper there: the smallest
   ``(pri, seq)``, as the driver-side union-find did. P tasks per step, O(log^2) steps.
5. **Publish** (R Ray tasks). Task r reads the unit-range-r rows of every decision file (row
   group statistics skip the rest), merges each unit's rows with ``combine`` and writes one
   file per unit that has decisions: ``units/uNNNNNN.arrow``. The next phase's unit reads its
   own file (or finds none): no broadcast, no ``ray.put`` of the decisions.

Costs: opens U*P + 2S + R*(S or P) + U (+ S + 2*U*P for a verify step); bytes read: the
signature bytes once (twice where a partition is spilled into sub-ranges), payloads twice and
the decisions twice; task memory bounded by
SUBRANGE_BYTES (decide), one unit file (gather), the edges / P (components); the driver holds
object references and counts only. Decisions depend on neither B, P, S nor the number of
workers: buckets are decided whole, rows keep input order, keepers are chosen by (priority,
seq) and labels are smallest seqs.

Resume: every gather, decide, cluster and publish output is a file published by rename with a
marker; a restarted driver skips what exists. The verify step and the components rerun as a
whole (their inputs, the candidate and payload files, the edge files, are kept). Failpoint
``global_bucket`` fires once per bucket decided, ``global_verify`` once per verify task,
``global_publish`` once per unit range published.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import ray

from engine.atomic import write_json
from engine.runner import global_tasks as T
from engine.runner.global_clusters import cluster
from engine.runner.global_verify import verify
from engine.runner.partition_files import IO, add_counts, bucket_range, read_ipc, write_parquet_atomic
from engine.runner.workdir import read_json
from engine.stage import ClusterStage, GlobalStage

PARTITIONS = 16  # the least number of bucket ranges
RECORDS_PER_PARTITION = 10_000_000  # more ranges above 160M records, so that gather spreads out
MAX_PARTITIONS = 256  # U * P files: the cap keeps them linear in the units
SUBRANGE_BYTES = 512 << 20  # a decide task's input; a partition up to this is decided as gathered
DONE = "_DONE.json"
NO_DECISIONS = "no_decisions.parquet"


def plan_partitions(stage: GlobalStage, records: int) -> int:
    """Bucket ranges for a run over ``records``: the stage's ``partitions`` if set, else
    :data:`PARTITIONS`, one per :data:`RECORDS_PER_PARTITION` above that, at most
    :data:`MAX_PARTITIONS`; never more than the stage's buckets."""
    planned = min(MAX_PARTITIONS, max(PARTITIONS, -(-records // RECORDS_PER_PARTITION)))
    return max(1, min(stage.bucket_count, stage.partitions or planned))


@dataclass
class StepInputs:
    """What the step reads: the unit folders of the phase (index = unit index), the plan, and
    where it works. ``stage_index`` says which of the phase's global stages this is (whose
    signature files it reads); ``removed_by`` the work folders of the steps before it in the
    same phase, whose rejected records it leaves out."""

    stage: GlobalStage
    unit_folders: list[str]
    partitions: int
    folder: Path
    stage_index: int = 0
    removed_by: tuple[str, ...] = ()


def read_unit_decisions(folder: Path, unit: int) -> pa.Table | None:
    """One unit's decisions, or None when the step decided nothing about its records."""
    path = T.unit_decisions_file(folder, unit)
    return read_ipc(path) if path.exists() else None


def run_global_step(
    inputs: StepInputs,
    *,
    max_in_flight: int = 4,
    on_bucket: Callable[[int], None] = lambda b: None,
    on_publish: Callable[[int], None] = lambda r: None,
    on_verify: Callable[[int], None] = lambda q: None,
) -> dict:
    """Decide ``inputs.stage`` over every signature and publish its decisions per unit.

    Returns what it did: files opened, bytes read and written (all tasks), decision rows."""
    folder = inputs.folder
    (folder / "units").mkdir(parents=True, exist_ok=True)
    if (folder / DONE).exists():
        return read_json(folder / DONE)
    stage, parts = inputs.stage, inputs.partitions
    clusters = isinstance(stage, ClusterStage)
    counts: dict = {}
    clock = _Clock()
    stage_ref = ray.put(stage)
    pool = _Pool(max_in_flight, counts)
    # 2. gather: partition -> sub-range files
    gathered: dict[int, list[str]] = {}
    for p in range(parts):
        marker = folder / f"gather-{p:04d}.json"
        if marker.exists():
            gathered[p] = read_json(marker)
        else:
            buckets = bucket_range(p, stage.bucket_count, parts)
            pool.submit(T.gather.remote(inputs.unit_folders, p, buckets.start, buckets.stop, str(folder),
                                        SUBRANGE_BYTES, inputs.stage_index, tuple(inputs.removed_by),
                                        stage_ref, clusters),
                        lambda out, p=p: (gathered.__setitem__(p, out[0]), [on_bucket(b) for b in out[1]]))
    pool.drain()
    clock.lap("gather")
    # 3. decide: one task per sub-range
    subranges = [path for p in range(parts) for path in gathered[p]]
    decided = []
    for path in subranges:
        out = T.decided_file(path)
        decided.append(str(out))
        if not out.exists():
            pool.submit(T.decide.remote(stage_ref, path, str(out), clusters),
                        lambda buckets: [on_bucket(b) for b in buckets])
    pool.drain()
    clock.lap("decide")
    # 3b. verify (cluster stages whose payloads travel once per record)
    if clusters and getattr(stage, "payloads", False):
        decided = verify(stage_ref, decided, inputs.unit_folders, inputs.stage_index, folder, parts, counts,
                         on_verify)
        clock.lap("verify")
    # 4. components (cluster stages)
    if clusters:
        decided = cluster(stage_ref, decided, folder, parts, counts)
        clock.lap("components")
    # 5. publish per unit
    ranges = parts
    units = len(inputs.unit_folders)
    templates = []
    for r in range(ranges):
        pool.submit(T.publish.remote(stage_ref, decided, r, ranges, units, str(folder), clusters),
                    lambda template, r=r: (templates.append(template), on_publish(r)))
    pool.drain()
    published = [read_json(folder / f"published-{r:04d}.json") for r in range(ranges)]
    rows = sum(p["rows"] for p in published)
    clock.lap("publish")
    write_parquet_atomic(T.no_decisions(stage, templates, clusters, rows), folder / NO_DECISIONS)
    summary = {"partitions": parts, "subranges": len(subranges), "decision_rows": rows,
               "units_with_decisions": sum(p["units"] for p in published),
               "io": add_counts(counts, IO.take()), "seconds": clock.laps}
    write_json(folder / DONE, summary)
    for path in folder.glob("sub-*.arrow"):  # the decide inputs are no longer needed
        os.unlink(path)
    return summary


def read_no_decisions(folder: Path) -> pa.Table:
    """The empty decisions table that units without decision rows apply."""
    return pq.read_table(str(folder / NO_DECISIONS))


class _Clock:
    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


class _Pool:
    """At most ``limit`` Ray tasks in flight; each result goes to its callback in the order
    tasks finish. Tasks return ``(result, io_counts)``; the counts are summed into ``counts``."""

    def __init__(self, limit: int, counts: dict):
        self.limit, self.counts, self.in_flight = max(1, limit), counts, {}

    def submit(self, ref, then: Callable) -> None:
        while len(self.in_flight) >= self.limit:
            self._wait_one()
        self.in_flight[ref] = then

    def drain(self) -> None:
        while self.in_flight:
            self._wait_one()

    def _wait_one(self) -> None:
        done, _ = ray.wait(list(self.in_flight), num_returns=1)
        for ref in done:
            result, io = ray.get(ref)
            add_counts(self.counts, io)
            self.in_flight.pop(ref)(result)
