"""The HTML report of a run's output: ``build_report(out_dir)`` / ``write_report(out_dir, path)``."""

from engine.report.build import build_report, write_report

__all__ = ["build_report", "write_report"]
