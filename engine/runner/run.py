"""``run_job``: plan units, run each phase and global step, finalize. Resumes where it stopped."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import ray

from engine.atomic import write_json
from engine.job import Job
from engine.runner.cluster import ray_session
from engine.runner.execute import run_phase
from engine.runner.failpoints import failpoint
from engine.runner.finalize import finalize
from engine.runner.global_step import StepInputs, plan_partitions, read_no_decisions, run_global_step
from engine.runner.hostgate_actors import job_host_gate
from engine.runner.phases import plan_phases, score_ranges, stage_order
from engine.runner.progress import PhaseProgress as _Progress
from engine.runner.workdir import WorkDir, read_json
from engine.sources.base import Unit
from engine.stage import GlobalStage

log = logging.getLogger("loomery")


class OutputConflict(RuntimeError):
    """The output folder holds the work or the result of a different job."""


def run_job(job: Job, *, address: str | None = None, workers: int | None = None,
            params: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``job`` to completion and return its manifest.

    Finished units are skipped, so a killed run started again ends with exactly the output of
    an uninterrupted one. ``workers`` caps parallel tasks and actors (and the CPUs of an
    embedded Ray); the output does not depend on it.
    """
    out = Path(job.out)
    out.mkdir(parents=True, exist_ok=True)
    work = WorkDir(out)
    record = {**job.config(), "params": dict(params or {})}
    record["fingerprint"] = hashlib.sha256(
        json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()
    done = _finished(out, record)
    if done is not None:
        log.info("%s already holds this job's finished output", out)
        return done
    units = _plan(job, work, record)
    records = sum(u.size for u in units)
    for stage in job.stages:
        if isinstance(stage, GlobalStage):
            stage.plan_buckets(records)
    phases = plan_phases(job.stages)
    for phase in phases:
        phase.partitions = [plan_partitions(stage, records) for stage in phase.emits]
    order, ranges = stage_order(job.stages), score_ranges(job.stages)
    notes = list(job.notes) + _source_notes(work)
    for note in notes:
        log.warning("note: %s", note)
    phase_records = []
    # finalize runs here, before Ray shuts down, not in a thread beside the shutdown (which
    # would save its 0.2-0.4 s): an object holding a Ray reference that such a thread frees
    # while Ray shuts down makes Ray end the whole process ("The core worker has already been
    # shutdown ... The process will exit"), as one demo run did.
    with ray_session(address, workers), \
            job_host_gate(job.stages, ray.cluster_resources().get("CPU", 1.0)) as gate:
        no_decisions = None
        for phase in phases:
            pending = [u for u in units if not work.is_done(phase.index, u.index)]
            label = f"phase {phase.index + 1}/{len(phases)}"
            log.info("%s: %d of %d units to do (stages: %s)", label, len(pending), len(units),
                     ", ".join(s.name for s in phase.stages) or "none")
            progress = _Progress(label, len(units), len(units) - len(pending),
                                 {u.index: u.size for u in pending})
            run_phase(phase, pending, source=job.source, sink=job.sink, out=str(out), order=order,
                      ranges=ranges, decisions=no_decisions, workers=workers, gate=gate,
                      on_unit=progress)
            phase_records.append(_phase_record(phase, len(units)))
            no_decisions = []
            for g, (stage, parts) in enumerate(zip(phase.emits, phase.partitions, strict=True)):
                log.info("global step: %s over %d buckets in %d partitions", stage.name,
                         stage.bucket_count, parts)
                step = StepInputs(stage, [str(work.unit(phase.index, u.index)) for u in units], parts,
                                  work.global_dir(phase.index, g), stage_index=g,
                                  removed_by=tuple(str(work.global_dir(phase.index, e)) for e in range(g)))
                run_global_step(step, max_in_flight=max(2, workers or 4),
                                on_bucket=lambda b: failpoint("global_bucket"),
                                on_publish=lambda r: failpoint("global_publish"),
                                on_verify=lambda q: failpoint("global_verify"))
                no_decisions.append(read_no_decisions(step.folder))
        models = [{**m, "stage": m.get("stage") or s.name} for s in job.stages for m in s.models()]
        manifest = finalize(work, units, phases[-1].index, record, models, phase_records, notes)
    log.info("done: %d inputs, %d kept, %d rejected -> %s", manifest["totals"]["inputs"],
             manifest["totals"]["kept"], manifest["totals"]["rejected"], out)
    return manifest


def _phase_record(phase, units: int) -> dict[str, Any]:
    """A phase in the manifest. ``emits``/``applies`` name its global stages (joined by ``+``
    when consecutive global stages share the phase); ``global_steps`` holds each one's plan."""
    steps = [{"stage": s.name, "buckets": s.bucket_count, "partitions": p}
             for s, p in zip(phase.emits, phase.partitions, strict=True)]
    buckets = [s["buckets"] for s in steps]
    return {"index": phase.index, "units": units, "stages": [s.name for s in phase.stages],
            "applies": "+".join(s.name for s in phase.applies) or None,
            "emits": "+".join(s.name for s in phase.emits) or None,
            "buckets": (buckets[0] if len(buckets) == 1 else buckets) or None,
            "global_steps": steps}


def _source_notes(work: WorkDir) -> list[str]:
    """What the source said while planning (records it skipped, say), kept for resumed runs."""
    path = work.root / "source_notes.json"
    return list(read_json(path)) if path.exists() else []


def _finished(out: Path, record: dict[str, Any]) -> dict[str, Any] | None:
    path = out / "manifest.json"
    if not path.exists():
        return None
    manifest = read_json(path)
    if manifest.get("job", {}).get("fingerprint") != record["fingerprint"]:
        raise OutputConflict(f"{out} holds the output of a different job; choose another --out")
    return manifest


def _plan(job: Job, work: WorkDir, record: dict[str, Any]) -> list[Unit]:
    """The job's units: planned once and saved, so that a resumed run uses the same plan."""
    work.root.mkdir(parents=True, exist_ok=True)
    job_file, plan_file = work.root / "job.json", work.root / "plan.json"
    if job_file.exists():
        if read_json(job_file).get("fingerprint") != record["fingerprint"]:
            raise OutputConflict(f"{work.out} holds unfinished work of a different job; "
                                 "choose another --out or delete it")
        work.remove_stale()
        if plan_file.exists():
            return [Unit(**u) for u in read_json(plan_file)]
    else:
        write_json(job_file, record)
    units = job.source.plan(job.unit_size)
    notes = job.source.notes() if callable(getattr(job.source, "notes", None)) else []
    write_json(work.root / "source_notes.json", list(notes))
    write_json(plan_file, [u.to_dict() for u in units], compact=True)
    return units

