"""The demo's outputs (pairs crawled from a loopback site, documents from a WARC of article
pages with their images fetched), made once per test session for the client tests, and helpers
to run a Markdown file's code examples."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_outputs(tmp_path_factory, ray_local) -> dict[str, Path]:
    from loomery.commands.demo import main

    out = tmp_path_factory.mktemp("clients") / "demo"
    args = argparse.Namespace(out=str(out), records=60, pages=6, workers=None,
                              param=["samples_per_shard=20", "image_size=64"])
    assert main(args) == 0
    return {"pairs": out / "pairs", "docs": out / "docs"}


def code_blocks(markdown: str, language: str) -> list[str]:
    """The fenced code blocks of ``markdown`` in ``language``, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", markdown, flags=re.S | re.M)
