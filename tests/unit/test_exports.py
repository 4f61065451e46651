"""Package exports: every public stage imports from its family and from the top package
(``from filters import ClipScore``), lazily, so ``import filters`` loads no model library."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from engine.stage import Stage

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["filters", "filters.captions", "filters.clip", "filters.dedup", "filters.documents",
            "filters.images", "filters.provenance", "filters.safety", "recaption", "recaption.crosscheck"]
HEAVY = ("torch", "open_clip", "onnxruntime", "transformers", "rapidocr", "vllm", "ray")


def _exported(package: str) -> list[tuple[str, str]]:
    return [(package, name) for name in importlib.import_module(package).__all__]


@pytest.mark.parametrize(("package", "name"), [pair for p in PACKAGES for pair in _exported(p)])
def test_each_export_is_a_stage_or_a_documented_helper(package, name):
    value = getattr(importlib.import_module(package), name)
    assert value.__module__.startswith(package.split(".")[0] + ".")
    if inspect.isclass(value) and issubclass(value, Stage):
        return
    assert callable(value), f"{package}.{name} is {value!r}"
    assert inspect.getdoc(value), f"{package}.{name} has no docstring"


def test_top_packages_export_every_family_name():
    import filters
    import recaption
    for family in PACKAGES[1:8]:
        assert set(importlib.import_module(family).__all__) <= set(filters.__all__), family
    assert set(importlib.import_module("recaption.crosscheck").__all__) <= set(recaption.__all__)
    assert {"ClipScore", "NearDuplicates", "TextInImage", "DocImageFilter", "ExactDuplicates"} <= set(filters.__all__)
    assert {"CrossCheck", "Recaption"} <= set(recaption.__all__)
    assert set(filters.__all__) <= set(dir(filters))


def test_unknown_name_is_an_attribute_error():
    import filters
    with pytest.raises(AttributeError, match="NoSuchStage"):
        filters.NoSuchStage  # noqa: B018
    with pytest.raises(ImportError):
        exec("from filters import NoSuchStage", {})


def test_importing_the_packages_loads_no_model_library():
    code = ("import sys, filters, recaption\n"
            "from filters import ClipScore, Nsfw, TextInImage, NearDuplicates\n"
            "from recaption import CrossCheck, Recaption\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
