"""Fixtures of the unit tests that build the ready-made jobs: empty model caches (use with
``pytest.mark.usefixtures("empty_caches")``: no weights are found, so the jobs take their
no-weights paths) and a one-row URL list that is never fetched."""

import pytest


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("LOOMERY_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))


@pytest.fixture
def url_list(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"url": ["http://example.invalid/a.jpg"], "caption": ["a"]}), tmp_path / "u.parquet")
    return str(tmp_path / "u.parquet")
