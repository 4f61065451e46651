"""The report renders in headless Chromium: its sections are there, its script runs, and the
screenshot shows a page (not a blank one)."""

import json
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from engine.report import write_report
from tests.unit.output_fixture import write_documents, write_output

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (make test installs it with apt-get)")


def _chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    out = write_documents(write_output(root / "run", kept=24, shards=2), docs=2)
    return write_report(out, root / "report.html", kept=12, rejected=8, documents=2)


def test_dom_has_sections_and_script_ran(report, tmp_path):
    dom = _chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    for sid in ("overview", "funnel", "scores", "gallery", "documents", "run"):
        assert f'<section id="{sid}">' in dom
    assert dom.count('class="card"') + dom.count('class="card reject"') == 20
    assert dom.count("<article class=\"doc\">") == 2
    # The what-if sliders fill their <output> from script: proof the page's JavaScript ran, and
    # at the run's own threshold it states the stage's real outcome.
    clip = json.loads((report.parent / "run" / "manifest.json").read_text())["stages"]["clip_score"]
    assert f"\u2265 0.28: keeps {clip['kept']} of {clip['in']} (" in dom
    assert "<output></output>" not in dom


def test_screenshot_is_a_rendered_page(report, tmp_path):
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2200", report.as_uri())
    image = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert image.shape[:2] == (2200, 1280)
    header = image[20:80, 20:600].reshape(-1, 3).mean(axis=0)
    assert header[2] > header[0] + 40, "the header band is blue"
    assert image.std() > 30, "a blank page has no contrast"
    colours = len(np.unique(image[::4, ::4].reshape(-1, 3), axis=0))
    assert colours > 500, "thumbnails and charts bring many colours"
