"""``loomery describe JOB [--param key=value ...]``: a job's phases, stages with their resources,
notes, and every param it declares with type, default and help."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from engine.job import Job
from engine.jobfile import build_job, load_job_module, resolve_job_path
from engine.params import Params
from engine.runner.phases import plan_phases
from engine.stage import GlobalStage, Stage


def register(subparsers) -> None:
    p = subparsers.add_parser("describe", help="print a job's phases, stages, resources and params")
    p.add_argument("job", help="a job file (jobs/pairs.py) or a ready-made job's name (pairs)")
    p.add_argument("--param", action="append", default=[],
                   help="job parameter key=value: describe the chain these settings give")
    p.add_argument("--input", action="append", default=[],
                   help="input path (repeatable); default: an empty placeholder list")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    print(describe(args.job, Params.parse(args.param), args.input))
    return 0


def describe(job_name: str, params: Params, inputs: list[str] | None = None) -> str:
    """The text ``loomery describe`` prints. Without ``inputs`` the job is built over an empty
    URL list, which every shipped source accepts: describing reads no data."""
    with tempfile.TemporaryDirectory(prefix="loomery-describe-") as scratch:
        if not inputs:
            inputs = [_placeholder(Path(scratch))]
        job = build_job(job_name, inputs, str(Path(scratch) / "out"), params)
    path = resolve_job_path(job_name)
    lines = [f"job {job.name} ({path})",
             f"  source {type(job.source).__name__} -> {len(job.stages)} stages -> sink "
             f"{type(job.sink).__name__}; {job.unit_size} records per unit", "", "phases:"]
    lines += [f"  {line}" for line in phase_lines(job)]
    lines += ["", "stages, in order (resources: CPUs, GPUs, concurrency, batch size):"]
    width = max((len(s.name) for s in job.stages), default=0)
    lines += [f"  {i:2d}. {s.name:<{width}}  {stage_line(s)}" for i, s in enumerate(job.stages, 1)]
    if job.notes:
        lines += ["", "notes:"] + [f"  {note}" for note in job.notes]
    lines += ["", *params_lines(job_name)]
    return "\n".join(lines)


def phase_lines(job: Job) -> list[str]:
    """One line per phase of the runner's split (:func:`engine.runner.phases.plan_phases`)."""
    phases = plan_phases(job.stages)
    out = []
    for phase in phases:
        parts = []
        if phase.applies:
            parts.append("applies " + ", ".join(s.name for s in phase.applies))
        if phase.stages:
            parts.append("runs " + ", ".join(s.name for s in phase.stages))
        parts.append("writes signatures of " + ", ".join(s.name for s in phase.emits) if phase.emits
                     else "writes the shards")
        out.append(f"phase {phase.index + 1}/{len(phases)}: " + "; ".join(parts))
    return out


def stage_line(stage: Stage) -> str:
    """The stage's class and what it asks of the cluster."""
    r = stage.resources
    kind = "global step" if isinstance(stage, GlobalStage) else "actors" if stage.needs_setup else "tasks"
    return (f"{type(stage).__name__} ({kind}): cpus={r.num_cpus:g} gpus={r.num_gpus:g} "
            f"concurrency={r.concurrency or 'auto'} batch={r.batch_size or 'unit'}")


def params_lines(job_name: str) -> list[str]:
    """Every param the job declares, by group, with type, default and help."""
    declared = load_job_module(job_name).PARAMS
    return [f"params (--param NAME=VALUE), {len(declared.names())} declared:", *declared.describe()]


def _placeholder(folder: Path) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / "placeholder.parquet"
    pq.write_table(pa.table({"url": pa.array([], pa.string()), "caption": pa.array([], pa.string())}), path)
    return str(path)
