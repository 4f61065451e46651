"""A job: a source, a plain list of stages, a sink, a unit size and an output directory.

Job files in ``jobs/`` are plain Python: each declares its params (``PARAMS``, see
:mod:`engine.params`) and defines ``job(inputs, out, params) -> Job``, which
``loomery run JOB.py --input ... --out ... --param key=value`` calls with the typed values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.params import Params  # noqa: F401  (re-exported: the --param texts)
from engine.sinks.base import Sink
from engine.sources.base import Source
from engine.stage import Stage


@dataclass
class Job:
    """What to run: ``source`` -> ``stages`` (in order) -> ``sink``, writing to ``out``.

    ``unit_size`` is the number of input records per unit, the grain of resume and of parallel
    work. ``models`` names the model set that model stages were built for (recorded in the
    manifest). ``notes`` are lines the runner prints and records (a skipped stage, say).
    """

    source: Source
    stages: list[Stage]
    sink: Sink
    out: str
    unit_size: int = 1000
    name: str = "job"
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.unit_size < 1:
            raise ValueError("unit_size must be at least 1")
        names = [s.name for s in self.stages]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"stage names must be unique; repeated: {', '.join(dupes)} (pass name=)")

    def config(self) -> dict[str, Any]:
        """The resolved job, as recorded in the manifest."""
        return {
            "name": self.name,
            "unit_size": self.unit_size,
            "source": self.source.config(),
            "stages": [{"name": s.name, **s.config()} for s in self.stages],
            "sink": self.sink.config(),
            "notes": list(self.notes),
        }
