"""The dataset card's "Loading" section: examples that run as they are from the folder holding
the card (a test runs every one of them), chosen from what this output actually holds, so that a
filter never names a column no stage wrote and a caption policy never asks for missing captions.
"""

from __future__ import annotations

import pyarrow as pa

from engine.output.card_hf import json_schema
from engine.output.folder import OutputFolder
from engine.output.loader_policy import SIDE_SUFFIXES
from engine.sinks.layout import LENGTH, METADATA, SHARDS, SIZES

# Preferred score columns for the filter example, most useful first.
_FILTER_COLUMNS = (("crosscheck_rate", "<=", 0.2), ("clip_score", ">=", 0.28),
                   ("aesthetic_score", ">=", 5.0))


def _score_filter(schema: pa.Schema) -> str | None:
    names = set(schema.names)
    for column, op, value in _FILTER_COLUMNS:
        if column in names:
            return f"{column}{op}{value:g}"
    return None


def _caption_policy(schema: pa.Schema) -> str:
    variants = sorted(n[len("caption_"):] for n in schema.names if n.startswith("caption_")
                      and not any(n.endswith("_" + s) for s in SIDE_SUFFIXES))
    return f"mix:{variants[0]}:0.8" if variants else "alt"


def loading_section(folder: OutputFolder, docs: bool) -> str:
    """The card's "Loading" Markdown: Python examples, then the open_clip command."""
    schema = json_schema(folder)
    last = max(len(folder.shards) - 1, 0)
    brace = f"{SHARDS}/train-{{00000..{last:05d}}}.tar"
    kwargs = "" if docs else f', caption="{_caption_policy(schema)}"'
    chosen = None if docs else _score_filter(schema)
    if chosen:
        kwargs += f', filters=["{chosen}"]'
    lines = ["## Loading", "",
             "Every example runs as it is from the folder that holds this card.", "",
             "With loomery's training loader (shard shuffle, rank/worker split, score filters, "
             "caption mixing):", "", "```python",
             "from torch.utils.data import DataLoader",
             "from engine.output.loader import collate, training_dataset", "",
             f'ds = training_dataset("."{kwargs})',
             "loader = DataLoader(ds, batch_size=8, num_workers=0, collate_fn=collate)",
             "batch = next(iter(loader))",
             "```", "",
             "With plain `webdataset`, Ray Data and Hugging Face `datasets`:", "", "```python",
             "import webdataset as wds", "",
             f'samples = wds.WebDataset("{brace}", shardshuffle=False).decode("pil")',
             "first = next(iter(samples))",
             "```", "", "```python", "import os", "", "import ray", "",
             f'ds = ray.data.read_webdataset(os.path.abspath("{SHARDS}"))  # paths reach workers',
             "print(ds.take(1)[0].keys())",
             "```", "", "```python", "import os", "", "from datasets import load_dataset", "",
             'typed = load_dataset(os.path.abspath("."), split="train")  # types from this card',
             f'inferred = load_dataset("webdataset", data_dir="{SHARDS}", split="train")',
             "```", ""]
    if not docs:
        lines += [
            "Training CLIP with open_clip (`pip install open_clip_torch[training]`): the sample "
            f"count comes from `{SHARDS}/{LENGTH}`, so no `--train-num-samples` is needed:", "",
            "```sh",
            "python -m open_clip_train.main --dataset-type webdataset \\",
            f'    --train-data "{brace}" \\',
            "    --model ViT-B-32 --batch-size 256 --epochs 1 --workers 4",
            "```", "",
            f"DataComp's `resharder.py` reads `--input-dir {SHARDS} --shard-format "
            f"'train-{{:05d}}.tar' --shard-table ../{METADATA}/{SIZES}`; its "
            f"`baselines/apply_filter.py` reads `--metadata_dir {METADATA}` (columns `uid`, "
            "`text`, `original_width`, `original_height`).", ""]
    return "\n".join(lines)
