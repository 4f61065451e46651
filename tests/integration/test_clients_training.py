"""The demo's pairs feed the training and curation tools as they are: open_clip's training
entry point (a tiny random ViT on CPU, the card's own command), img2dataset's column contract and
DataComp's apply_filter.py/resharder.py file and column contract.

DataComp's scripts are not packaged (they need fasttext/gcld3 downloads, simdjson, cloudpathlib,
img2dataset), so the DataComp tests run the exact reads those scripts make: apply_filter.py's
``pd.read_parquet(metadata/..., columns=[...])`` and uid split into two uint64; resharder.py's
shard table (``--shard-table`` relative to ``--input-dir``), its ``*_stats.json`` ``successes``,
its shard-name probe and its webdataset sample grouping with each sample's ``json`` ``uid``.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.integration.client_outputs import code_blocks, demo_outputs  # noqa: F401 - fixture

pytestmark = pytest.mark.integration

TINY_CLIP = {"model_cfg": {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "head_width": 32, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 1}}}


@pytest.fixture
def pairs(demo_outputs):  # noqa: F811 - the fixture imported above
    return demo_outputs["pairs"]


def test_open_clip_trains_with_the_cards_command_and_no_sample_count(pairs, tmp_path):
    model = tmp_path / "tiny-clip"
    model.mkdir()
    (model / "open_clip_config.json").write_text(json.dumps(TINY_CLIP))
    (command,) = [b for b in code_blocks((pairs / "README.md").read_text(), "sh")
                  if "open_clip_train.main" in b]
    assert "--train-num-samples" not in command
    # the card's command as it is, then test-sized settings (argparse keeps the last value)
    argv = command.replace("\\\n", " ").split()
    assert argv[:3] == ["python", "-m", "open_clip_train.main"]
    argv = [sys.executable, *argv[1:]]
    argv = [a.strip('"') for a in argv]
    argv += ["--model", f"local-dir:{model}", "--batch-size", "4", "--workers", "0",
             "--device", "cpu", "--precision", "fp32", "--epochs", "1", "--lr", "1e-4",
             "--warmup", "1", "--save-frequency", "0", "--logs", str(tmp_path / "logs"),
             "--name", "tiny", "--log-every-n-steps", "1"]
    ran = subprocess.run(argv, cwd=pairs, capture_output=True, text=True, timeout=900)
    log = ran.stdout + ran.stderr
    assert ran.returncode == 0, log[-4000:]
    kept = int((pairs / "shards" / "__len__").read_text())
    assert f"[{kept}/{kept} (100%)]" in log  # the count came from the folder; every sample seen
    assert "Contrastive_loss" in log


def test_img2dataset_contract_beside_our_columns(pairs):
    meta = pd.concat(pd.read_parquet(p) for p in sorted((pairs / "metadata").glob("*.parquet")))
    contract = ["key", "uid", "url", "caption", "status", "error_message", "width", "height",
                "original_width", "original_height", "sha256"]
    assert list(meta.columns[:len(contract)]) == contract
    assert (meta["status"] == "success").all() and meta["error_message"].isna().all()
    assert (meta["original_width"] == meta["orig_width"]).all()  # ours stay beside
    assert meta["http_status"].notna().all() and (meta["http_status"] == 200).all()
    assert meta["uid"].str.fullmatch("[0-9a-f]{32}").all() and meta["uid"].is_unique


def test_datacomp_apply_filter_reads_the_metadata_folder(pairs):
    # apply_filter.py: parquet_paths = [x for x in fs.ls(metadata_dir) if ".parquet" in x]
    paths = [str(p) for p in sorted((pairs / "metadata").iterdir()) if ".parquet" in str(p)]
    df = pd.concat(pd.read_parquet(p, columns=["uid", "text", "original_width", "original_height"])
                   for p in paths)
    uid_int = df.uid.apply(int, base=16)
    inds = np.array(list(zip((uid_int // 2**64).astype("uint64"), (uid_int % 2**64).astype("uint64"),
                             strict=True)), "u8,u8")
    min_dim = np.minimum(df.original_width, df.original_height)
    aspect = np.maximum(df.original_width, df.original_height) / min_dim
    keep = inds[((df.text.str.split().str.len() > 2) & (min_dim >= 64) & (aspect <= 3.0)).to_numpy()]
    assert len(inds) == len(df) > 0 and 0 < len(keep) <= len(inds)


def test_datacomp_resharder_finds_counts_shards_and_uids(pairs):
    import webdataset as wds
    from webdataset.tariterators import base_plus_ext, tar_file_expander, url_opener, valid_sample

    input_dir = pairs / "shards"
    shard_format, table_arg = "train-{:05d}.tar", Path("../metadata/sizes.json")
    table = json.loads((input_dir / table_arg).read_text())  # input_dir / shard_table
    n = sum(1 for i in range(64) if (input_dir / shard_format.format(i)).exists())
    assert n == len(table) and all(shard_format.format(i) in table for i in range(n))
    stats_format = "../metadata/train-{:05d}_stats.json"
    assert [json.loads((input_dir / stats_format.format(i)).read_text())["successes"]
            for i in range(n)] == [table[shard_format.format(i)] for i in range(n)]
    subset = []
    streams = url_opener(wds.SimpleShardList([str(input_dir / shard_format.format(i))
                                              for i in range(n)]))
    current = None
    for file in tar_file_expander(streams):
        prefix, suffix = base_plus_ext(file["fname"])
        if current is None or prefix != current["__key__"]:
            if valid_sample(current):
                subset.append(current)
            current = {"__key__": prefix, "__url__": file["__url__"]}
        current[suffix] = file["data"]
    subset.append(current)
    assert len(subset) == sum(table.values())
    for sample in subset:
        uid = json.loads(sample["json"])["uid"]
        np.array([divmod(int(uid, 16), 2**64)], "u8,u8")  # resharder's uid -> u16 key
        assert "jpg" in sample and "txt" in sample
