"""A job: a source, a plain list of stages, a sink, a unit size and an output directory.

Job files in ``jobs/`` are plain Python: each defines ``job(inputs, out, params) -> Job``, which
``loomery run JOB.py --input ... --out ... --param key=value`` calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


class Params:
    """``--param key=value`` settings, read with typed getters that give defaults.

    The getters remember what the job read, so that a misspelt parameter is an error rather than
    a silent no-op (see :meth:`unused`).
    """

    _TRUE = {"1", "true", "yes", "on"}
    _FALSE = {"0", "false", "no", "off"}

    def __init__(self, values: dict[str, str] | None = None):
        self._values = dict(values or {})
        self._read: set[str] = set()

    @classmethod
    def parse(cls, items: list[str]) -> Params:
        """Build from ``key=value`` strings."""
        values = {}
        for item in items:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise ValueError(f"--param {item!r} is not key=value")
            values[key.strip()] = value.strip()
        return cls(values)

    def str(self, key: str, default: str | None = None) -> str | None:
        self._read.add(key)
        return self._values.get(key, default)

    def int(self, key: str, default: int) -> int:
        raw = self.str(key)
        try:
            return default if raw is None else int(raw)
        except ValueError:
            raise ValueError(f"--param {key}={raw!r} is not an integer") from None

    def float(self, key: str, default: float) -> float:
        raw = self.str(key)
        try:
            return default if raw is None else float(raw)
        except ValueError:
            raise ValueError(f"--param {key}={raw!r} is not a number") from None

    def bool(self, key: str, default: bool) -> bool:
        raw = self.str(key)
        if raw is None:
            return default
        if raw.lower() in self._TRUE:
            return True
        if raw.lower() in self._FALSE:
            return False
        raise ValueError(f"--param {key}={raw!r} is not true or false")

    def list(self, key: str, default: list[str] | None = None) -> list[str]:
        """A comma-separated list."""
        raw = self.str(key)
        if raw is None:
            return list(default or [])
        return [part.strip() for part in raw.split(",") if part.strip()]

    def unused(self) -> list[str]:
        """Parameters given but never read by the job."""
        return sorted(set(self._values) - self._read)

    def as_dict(self) -> dict[str, str]:
        return dict(self._values)
