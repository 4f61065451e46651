"""The Hugging Face part of the dataset card's YAML header: ``configs`` (which files make the
``train`` split) and ``dataset_info.features`` (the type of every member of a sample), so that
``datasets.load_dataset(OUT)`` reads the shards with the right types instead of inferring them
from the first samples.

Features follow what the ``webdataset`` builder of ``datasets`` yields per sample: one field per
member extension (the image as ``image``, ``txt`` as string, ``json`` as a struct of the output's
columns, a document's ``images.mp`` as a list of binary) plus ``__key__`` and ``__url__``. The
``json`` struct's fields are the Parquet sidecar's columns (footer only) less those the sink keeps
out of the ``.json`` member. The YAML is written by hand (JSON-quoted names) so that the engine
needs no ``datasets`` at run time; a test checks it with ``datasets`` itself.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from engine.output.folder import IMAGE_EXTENSIONS, OutputFolder
from engine.sinks.layout import SHARDS
from schemas.pair import DATACOMP_TEXT

_SCALARS = {pa.bool_(): "bool", pa.string(): "string", pa.large_string(): "large_string",
            pa.binary(): "binary", pa.large_binary(): "large_binary", pa.null(): "null",
            pa.date32(): "date32"}


def _dtype(t: pa.DataType) -> str | None:
    if t in _SCALARS:
        return _SCALARS[t]
    if pa.types.is_integer(t):
        return str(t)
    if pa.types.is_floating(t):
        return f"float{t.bit_width}"
    if pa.types.is_timestamp(t):
        return f"timestamp[{t.unit}]" + (f", tz={t.tz}" if t.tz else "")
    return None


def _feature(name: str, t: pa.DataType, indent: int) -> list[str]:
    pad = " " * indent
    head = f"{pad}- name: {json.dumps(name)}"
    return [head, *_type_lines(t, indent + 2)]


def _type_lines(t: pa.DataType, indent: int, key: str = "dtype") -> list[str]:
    pad = " " * indent
    scalar = _dtype(t)
    if scalar is not None:
        return [f"{pad}{key}: {scalar}"]
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = _dtype(t.value_type)
        if inner is not None:
            return [f"{pad}{'list' if key == 'dtype' else key}: {inner}"]
        return [f"{pad}{'list' if key == 'dtype' else key}:", *_type_lines(t.value_type, indent + 2)]
    if pa.types.is_struct(t):
        lines = [f"{pad}struct:"]
        for field in t:
            lines += _feature(field.name, field.type, indent)
        return lines
    return [f"{pad}{key}: string"]  # types without a datasets name travel as their JSON text


def sample_members(folder: OutputFolder) -> list[str]:
    """Member extensions of the output's first sample, in file order."""
    for sample in folder.samples(limit=1):
        return list(sample.members)
    return []


def json_schema(folder: OutputFolder) -> pa.Schema:
    """The columns of the ``.json`` members: the first sidecar's, less Parquet-only ones."""
    shard = next((s for s in folder.shards if s.get("parquet")), None)
    if shard is None:
        return pa.schema([])
    schema = pq.read_schema(folder.path / shard["parquet"])
    sink = folder.manifest.get("job", {}).get("sink") or {}
    left_out = set(sink.get("json_exclude") or []) | {DATACOMP_TEXT}
    return pa.schema([f for f in schema if f.name not in left_out])


def hf_yaml(folder: OutputFolder) -> list[str]:
    """The ``configs`` and ``dataset_info`` lines of the card's YAML header."""
    lines = ["configs:", "- config_name: default", "  data_files:", "  - split: train",
             f"    path: {SHARDS}/train-*.tar", "dataset_info:", "  features:"]
    for member in sample_members(folder):
        if member in IMAGE_EXTENSIONS:
            lines += [f"  - name: {json.dumps(member)}", "    dtype: image"]
        elif member == "txt":
            lines += _feature(member, pa.string(), 2)
        elif member == "json":
            lines += _feature(member, pa.struct(list(json_schema(folder))), 2)
        elif member.endswith(".mp"):
            lines += _feature(member, pa.list_(pa.binary()), 2)
        else:
            lines += _feature(member, pa.binary(), 2)
    lines += _feature("__key__", pa.string(), 2) + _feature("__url__", pa.string(), 2)
    lines += ["  splits:", "  - name: train",
              f"    num_examples: {int(folder.manifest.get('totals', {}).get('kept', 0))}"]
    return lines
