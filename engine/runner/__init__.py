"""The runner: executes a :class:`engine.job.Job` on Ray, resumably, and writes the manifest."""

from engine.runner.run import OutputConflict, run_job

__all__ = ["OutputConflict", "run_job"]
