"""The runner sits below the HTML report: a run writes its card from engine/output alone."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _loaded_after(module: str) -> list[str]:
    """Project modules in ``sys.modules`` after importing ``module`` in a fresh interpreter."""
    code = (f"import json, sys; import {module}; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'engine')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=True, timeout=120)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_the_runner_loads_no_report():
    loaded = _loaded_after("engine.runner.run")
    assert "engine.runner.finalize" in loaded and "engine.output.card" in loaded
    assert not [m for m in loaded if m == "engine.report" or m.startswith("engine.report.")]


def test_the_card_needs_neither_the_report_nor_the_training_loader():
    loaded = _loaded_after("engine.output.card")
    assert not [m for m in loaded if m.startswith("engine.report")]
    assert "engine.output.loader" not in loaded  # it imports torch and webdataset
