"""The output folder's work area: unit folders published by atomic rename, markers, JSON files.

Layout under ``OUT/_work``: ``job.json`` (the job's fingerprint), ``p{P}/u{UNIT}/`` (a unit's
finished outputs for phase P, with ``_DONE.json`` inside: a unit folder exists only complete),
``g{P}/``, ``g{P}.{S}/`` (the global step of the first, the S-th global stage phase P emits), ``finalize.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from engine.atomic import TMP_MARK, temp_path, write_json

DONE = "_DONE.json"


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class WorkDir:
    """Paths and publishing inside ``OUT/_work``."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.root = self.out / "_work"

    def phase(self, p: int) -> Path:
        return self.root / f"p{p}"

    def unit(self, p: int, unit: int) -> Path:
        return self.phase(p) / f"u{unit:06d}"

    def global_dir(self, p: int, stage: int = 0) -> Path:
        """The work of the ``stage``-th global stage emitted by phase ``p``."""
        return self.root / (f"g{p}" if stage == 0 else f"g{p}.{stage}")

    def is_done(self, p: int, unit: int) -> bool:
        return (self.unit(p, unit) / DONE).exists()

    def done_info(self, p: int, unit: int) -> dict[str, Any]:
        return read_json(self.unit(p, unit) / DONE)

    def new_tmp_unit(self, p: int, unit: int) -> Path:
        """A fresh folder to write a unit's outputs into before publishing them."""
        tmp = temp_path(self.unit(p, unit))
        tmp.mkdir(parents=True)
        return tmp

    def publish_unit(self, p: int, unit: int, tmp: Path, info: dict[str, Any]) -> None:
        """Write the marker into ``tmp`` and rename it to the unit's folder. If another attempt
        published the unit first (a retried task), this attempt's files are discarded."""
        write_json(tmp / DONE, info)
        try:
            os.rename(tmp, self.unit(p, unit))
        except OSError:
            if not self.is_done(p, unit):
                raise
            shutil.rmtree(tmp, ignore_errors=True)

    def drop_spent(self, p: int, unit: int) -> None:
        """Remove the files of ``unit``'s phase-``p`` folder but its marker, once the next phase
        has published the unit: its staged records were read, and its signatures were read by
        the global step, which finished before the next phase began. The marker stays (a resumed
        run reads it), so at the end finalize removes one small file per unit and phase, not
        every staged byte and signature file on the driver."""
        folder = self.unit(p, unit)
        with contextlib.suppress(FileNotFoundError), os.scandir(folder) as entries:
            for entry in entries:
                if entry.name != DONE and entry.is_file():
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)

    def remove_stale(self) -> None:
        """Remove half-written temporaries left by a killed run."""
        if not self.root.exists():
            return
        for path in self.root.rglob(f".*{TMP_MARK}*"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        for path in self.out.glob(f".*{TMP_MARK}*"):
            path.unlink(missing_ok=True)
