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


def _modules_after(code: str) -> list[str]:
    """Every module in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    code += "; import json, sys; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=True, timeout=120)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_job_without_a_fetch_stage_never_imports_aiohttp(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    listing = tmp_path / "in.parquet"
    pq.write_table(pa.table({"url": ["a.jpg"], "caption": ["a caption"]}), listing)
    loaded = _modules_after(
        "import engine.runner.run, engine.runner.execute, engine.runner.unit_read_write; "
        "from engine.jobfile import build_job; "
        f"job = build_job('demo', [{str(listing)!r}], {str(tmp_path / 'out')!r}, {{}}); "
        "assert [type(s).__name__ for s in job.stages][0] == 'ProbeImage'")
    assert "engine.fetch" in loaded and "engine.runner.finalize" in loaded
    assert not [m for m in loaded if m.split(".")[0] == "aiohttp"]
    assert "engine.fetch.client" not in loaded


def test_the_fetch_package_still_exports_its_names_on_first_use():
    loaded = _modules_after("from engine.fetch import FetchPolicy; import engine.fetch as f; "
                            "assert 'aiohttp' not in __import__('sys').modules; "
                            "assert f.Fetcher.__name__ == 'Fetcher' and f.fetch_all and f.FetchSession; "
                            "assert set(f.__all__) <= set(dir(f))")
    assert "aiohttp" in loaded
