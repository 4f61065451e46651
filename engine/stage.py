"""The stage contract: what every step of a loomery pipeline is.

A stage takes an Arrow table of records and returns it with columns added. A filter is a stage
that also decides, through :meth:`Filter.verdict`, which records to reject and why. A global
stage needs every record before it can decide (deduplication), which splits a job into phases.

Stages never import Ray: the runner decides where they run. A stage that overrides ``setup()``
(to load a model once per worker) runs in a Ray actor pool; the others run as Ray tasks.
The runner hands a stage only the records still alive, in slices of ``resources.batch_size``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from engine import columns as C


@dataclass(frozen=True)
class Resources:
    """What a stage asks of the cluster.

    ``batch_size`` is how many records one call sees (None: the whole unit); ``concurrency`` the
    size of its actor pool, or the most tasks at once (None: as many as the cluster allows).
    """

    num_cpus: float = 1.0
    num_gpus: float = 0.0
    batch_size: int | None = None
    concurrency: int | None = None


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Stage:
    """One step of a pipeline: ``__call__(batch) -> batch`` adds columns and keeps every row.

    Subclasses set ``name`` (ASCII, stable: it becomes a metric key; defaults to the class name
    in snake case), may set ``resources``, and list in ``score_columns`` the numeric columns they
    add with the (low, high) range their histogram in ``stats.json`` should span.
    """

    name: str = ""
    resources: Resources = Resources()
    score_columns: dict[str, tuple[float, float]] = {}

    def __init__(self, *, name: str | None = None, resources: Resources | None = None):
        if name is not None:
            self.name = name
        if not self.name:
            self.name = _snake(type(self).__name__)
        if not self.name.isascii() or not re.fullmatch(r"[A-Za-z0-9_.-]+", self.name):
            raise ValueError(f"stage name {self.name!r} must be ASCII letters, digits, _ . -")
        if resources is not None:
            self.resources = resources

    @property
    def needs_setup(self) -> bool:
        """True when the stage overrides ``setup()`` and so runs in an actor pool."""
        return type(self).setup is not Stage.setup

    def setup(self) -> None:
        """Load what the stage needs once per worker (models). The default does nothing."""

    def __call__(self, batch: pa.Table) -> pa.Table:
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """The stage's settings, as recorded in the manifest: its public JSON-friendly attributes."""
        out: dict[str, Any] = {"class": f"{type(self).__module__}.{type(self).__qualname__}"}
        for key, value in vars(self).items():
            if key.startswith("_") or key == "resources":
                continue
            if isinstance(value, (str, int, float, bool, type(None))):
                out[key] = value
            elif isinstance(value, (list, tuple)) and all(
                isinstance(v, (str, int, float, bool)) for v in value
            ):
                out[key] = list(value)
        return out

    def models(self) -> list[dict[str, Any]]:
        """Models this stage uses, for the manifest: name, source, revision, random_init."""
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class Filter(Stage):
    """A stage that decides. Its ``__call__`` adds score columns and ends with ``self.verdict(...)``.

    Every record keeps its row: rejected ones are marked with this stage's name and a reason, and
    the runner routes them to the rejects output. A filter never drops a row itself.
    """

    def verdict(
        self,
        batch: pa.Table,
        reasons: Sequence[str | None],
        *,
        scores: Sequence[float | None] | np.ndarray | None = None,
        thresholds: Sequence[float | None] | np.ndarray | float | None = None,
        details: Sequence[str | None] | None = None,
    ) -> pa.Table:
        """Mark the rows whose reason is not None as rejected by this stage.

        ``scores`` and ``thresholds`` (the value that failed and the bound it failed) are recorded
        with each rejected row; ``details`` is free text for people.
        """
        n = batch.num_rows
        if len(reasons) != n:
            raise ValueError(f"{self.name}: {len(reasons)} reasons for {n} rows")
        rejected = np.fromiter((r is not None for r in reasons), dtype=bool, count=n)
        if isinstance(thresholds, (int, float)):
            thresholds = [float(thresholds)] * n
        new = {
            C.REJECT_STAGE: pa.array([self.name if r else None for r in rejected], pa.string()),
            C.REJECT_REASON: pa.array(list(reasons), pa.string()),
            C.REJECT_SCORE: _masked_floats(scores, rejected),
            C.REJECT_THRESHOLD: _masked_floats(thresholds, rejected),
            C.REJECT_DETAIL: pa.array(
                [d if r else None for d, r in zip(details or [None] * n, rejected, strict=True)],
                pa.string(),
            ),
        }
        return set_columns(batch, new)



class Verdicts:
    """A filter's decisions, collected row by row in input order, for :meth:`Filter.verdict`::

        verdicts = Verdicts()
        for n in counts:
            if n < self.min_words:
                verdicts.reject("too_few_words", n, self.min_words)
            else:
                verdicts.keep(n)
        return self.verdict(batch, **verdicts.columns())

    ``score`` is the value judged and ``threshold`` the bound it failed; the rejects table records
    both for rejected rows only. :attr:`scores` holds every row's score, for a score column.
    """

    def __init__(self) -> None:
        self.reasons: list[str | None] = []
        self.scores: list[float | None] = []
        self.thresholds: list[float | None] = []
        self.details: list[str | None] = []

    def keep(self, score: float | None = None) -> None:
        """The next row is kept (its score, if any, goes to :attr:`scores`)."""
        self.reject(None, score)

    def reject(self, reason: str | None, score: float | None = None, threshold: float | None = None,
               detail: str | None = None) -> None:
        """The next row is rejected for ``reason`` (None keeps it)."""
        self.reasons.append(reason)
        self.scores.append(score)
        self.thresholds.append(threshold)
        self.details.append(detail)

    def columns(self) -> dict[str, list]:
        """The keyword arguments of :meth:`Filter.verdict` after the batch."""
        return {"reasons": self.reasons, "scores": self.scores, "thresholds": self.thresholds,
                "details": self.details}


class GlobalStage(Stage):
    """A stage that must see every record before it decides, such as deduplication.

    The runner splits the job at a global stage into two phases. In the first, ``signature``
    runs on each batch and returns one or more small rows per record (the runner adds ``key``,
    ``_unit`` and ``_seq``) with an integer ``bucket`` column in ``[0, bucket_count)``; rows that must
    be compared with each other must share a bucket. Then ``decide`` runs once per bucket, in
    parallel, on that bucket's rows sorted by ``(_unit, _seq)``. Its rows name records by ``key``
    (each must be a key of the bucket's rows); the runner sends each row to the unit(s) holding
    that key, and ``combine`` merges, once per unit, the rows about that unit's records (in
    bucket order). The result has one row per record to reject (``key``, ``reason``, optional
    ``dup_of``, ``score``, ``threshold``, ``detail``) and may carry rows with a null ``reason`` to
    add columns to kept records (a cluster id, say): any column beyond those whose name does not
    start with ``_`` is joined onto the records in the second phase.
    """

    buckets: int = 16
    # Bucket ranges the signatures are cut into when written (None: the runner's default). The
    # decisions do not depend on it; tests set it to show that.
    partitions: int | None = None
    # Records per bucket the stage aims for, or None for exactly ``buckets`` buckets. A bucket is
    # decided in one task's memory, so a stage whose signatures are large (near-duplicates) sets
    # this, and its bucket count grows with the run instead of its buckets.
    records_per_bucket: int | None = None

    def plan_buckets(self, records: int) -> int:
        """Fix the number of buckets for a run over ``records`` records and return it: ``buckets``,
        or more where ``records_per_bucket`` asks for more. The runner calls this once the units
        are planned, before any signature is made; decisions do not depend on the number."""
        wanted = -(-records // self.records_per_bucket) if self.records_per_bucket else 0
        self._bucket_count = max(self.buckets, wanted)
        return self._bucket_count

    @property
    def bucket_count(self) -> int:
        """The buckets ``signature`` spreads rows over: as planned, else ``buckets``."""
        return getattr(self, "_bucket_count", None) or self.buckets

    def __call__(self, batch: pa.Table) -> pa.Table:
        return batch

    def signature(self, batch: pa.Table) -> pa.Table:
        raise NotImplementedError

    def decide(self, signatures: pa.Table) -> pa.Table:
        raise NotImplementedError

    def combine(self, decisions: list[pa.Table]) -> pa.Table:
        """Merge the decision rows about one unit's records; the default concatenates them."""
        tables = [t for t in decisions if t.num_rows]
        if not tables:
            return decisions[0] if decisions else pa.table({"key": pa.array([], pa.string())})
        return pa.concat_tables(tables, promote_options="default")


class ClusterStage(GlobalStage):
    """A global stage whose ``decide`` finds pairs of duplicate records (edges), and whose
    decisions come from the connected components of all the edges of the run: one keeper per
    component. The runner finds the components without gathering the edges anywhere.

    ``decide`` returns edges with int64 ``seq`` and ``other_seq`` (the two records' ``_seq``);
    ``endpoints`` turns edges into one row per end (``seq``, ``key`` and whatever
    ``cluster_decisions`` needs); ``cluster_decisions`` gets the end rows of whole components,
    with ``cluster`` (the component's smallest ``seq``) and ``_unit`` added, sorted by
    ``(cluster, seq)``, and returns one decision row per record, carrying ``_unit`` and ``_seq``.
    """

    # With ``payloads``, what a pair is checked on travels once per record instead of in each of
    # its signature rows: the runner cuts each unit's signature rows with ``split_payloads``,
    # ``decide`` then returns unchecked candidate pairs (no ``similarity`` column), and the
    # runner joins each pair with its two records' payloads and hands them to ``check_pairs``.
    payloads: bool = False

    def split_payloads(self, signatures: pa.Table) -> tuple[pa.Table, pa.Table]:
        """(signature rows without their payload, payload rows: ``_seq``, ``signal``, ``payload``,
        one per record and signal)."""
        raise NotImplementedError

    def check_pairs(self, candidates: pa.Table) -> pa.Table:
        """The candidate pairs (``decide``'s rows, with ``payload`` and ``other_payload`` added)
        that are duplicates: edges as ``decide`` returns them without ``payloads``."""
        raise NotImplementedError

    def endpoints(self, edges: pa.Table) -> pa.Table:
        raise NotImplementedError

    def cluster_decisions(self, members: pa.Table) -> pa.Table:
        raise NotImplementedError


def set_columns(table: pa.Table, new: dict[str, pa.Array | pa.ChunkedArray]) -> pa.Table:
    """Return ``table`` with the given columns added, or replaced where they already exist."""
    for name, values in new.items():
        index = table.schema.get_field_index(name)
        table = table.set_column(index, name, values) if index >= 0 else table.append_column(name, values)
    return table


def _masked_floats(values, rejected: np.ndarray) -> pa.Array:
    if values is None:
        return pa.nulls(len(rejected), pa.float64())
    out = [
        float(v) if r and v is not None and v == v else None
        for v, r in zip(values, rejected, strict=True)
    ]
    return pa.array(out, pa.float64())
