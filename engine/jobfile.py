"""Loading job files: plain Python files in ``jobs/`` that declare ``PARAMS`` and define
``job(inputs, out, params)``."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from ray import cloudpickle  # Ray serialises with its own copy of cloudpickle

from engine.job import Job
from engine.params import Params, ParamSet, Values

JOBS_DIR = Path(__file__).resolve().parents[1] / "jobs"


def resolve_job_path(name: str) -> Path:
    """A job file by path, or by the name of a ready-made job (``pairs`` -> ``jobs/pairs.py``)."""
    path = Path(name)
    if path.exists():
        return path
    candidate = JOBS_DIR / (name if name.endswith(".py") else f"{name}.py")
    if candidate.exists():
        return candidate
    raise FileNotFoundError(f"no job file {name!r} (nor {candidate})")


def load_job_module(path: str | Path) -> ModuleType:
    """Import a job file under a private module name. Its functions and classes are pickled by
    value, so Ray workers can run what it defines without the file on their path."""
    path = resolve_job_path(str(path)).resolve()
    name = "loomery_job_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load job file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    cloudpickle.register_pickle_by_value(module)
    if not callable(getattr(module, "job", None)):
        raise AttributeError(f"{path} must define job(inputs, out, params) -> Job")
    if not isinstance(getattr(module, "PARAMS", None), ParamSet):
        raise AttributeError(f"{path} must declare PARAMS = ParamSet(...) (engine/params.py)")
    return module


def build_job(path: str | Path, inputs: list[str], out: str, params: Params | dict[str, str]) -> Job:
    """Call the job file's ``job()`` with its declared params typed from ``params``. A param the
    job does not declare is an error (a typo), so is a value that is not of its param's type."""
    module = load_job_module(path)
    job = module.job(list(inputs), str(out), _resolve(module, path, params))
    if not isinstance(job, Job):
        raise TypeError(f"{path}: job() returned {type(job).__name__}, not a Job")
    return job


def resolve_params(path: str | Path, params: Params | dict[str, str]) -> Values:
    """The job file's declared params typed from ``params``, without building the job: what
    ``loomery submit`` checks on the client, so a typo fails before the cluster is asked."""
    return _resolve(load_job_module(path), path, params)


def _resolve(module: ModuleType, path: str | Path, params: Params | dict[str, str]) -> Values:
    given = params.as_dict() if isinstance(params, Params) else dict(params)
    return module.PARAMS.resolve(given, job=Path(str(path)).stem)
