"""Loaders: from a :class:`ModelSpec` to a ready model with its preprocessing, fully offline.

Where weights are looked for, in order:

1. the loomery cache, ``cache_dir()/NAME`` (what ``loomery models pull NAME`` writes);
2. for ``dir:PATH`` sources, ``PATH`` itself;
3. the Hugging Face hub cache (``HF_HOME``), read with ``local_files_only`` so nothing is fetched.

Nothing is ever downloaded at load time (``HF_HUB_OFFLINE=1`` is set): a missing weight raises
:class:`MissingWeights` naming the model and the ``loomery models pull`` command. Random weights
are built only for specs that say ``random_init`` (test models), from ``spec.config`` with a fixed
seed so that every worker builds the same model. Checkpoints load with ``weights_only=True``.
"""

from __future__ import annotations

import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.models.registry import MissingWeights, ModelSpec, cache_dir

SOURCE_FILE = "loomery-source.json"  # written by `models pull` beside the weights


@dataclass
class OpenClip:
    """An open_clip model with its eval preprocessing (PIL -> tensor) and tokenizer."""

    model: Any
    preprocess: Any
    tokenizer: Any
    image_size: int
    spec: ModelSpec


def hub_repo(spec: ModelSpec) -> str | None:
    """The Hugging Face repository that holds ``spec``'s weights, if it lives on the hub."""
    if spec.source.startswith("hf:"):
        return spec.source[3:]
    if spec.config.get("hf_hub"):
        return str(spec.config["hf_hub"]).strip("/")
    if spec.source.startswith("open_clip:"):
        import open_clip

        arch, _, tag = spec.source[len("open_clip:") :].partition("/")
        cfg = open_clip.get_pretrained_cfg(arch, tag)
        repo = (cfg or {}).get("hf_hub", "").strip("/")
        return repo or None
    return None


def bundled_path(spec: ModelSpec) -> Path:
    """The file of a model shipped inside a Python package (``pkg:PACKAGE/PATH``)."""
    package, _, rel = spec.source[len("pkg:") :].partition("/")
    try:
        path = Path(str(importlib.resources.files(package) / rel))
    except ModuleNotFoundError:
        raise MissingWeights(spec, [f"python package {package!r} (not installed)"]) from None
    if not path.is_file():
        raise MissingWeights(spec, [str(path)])
    return path


def weights_dir(spec: ModelSpec) -> Path:
    """The local directory holding ``spec``'s weights; :class:`MissingWeights` when none is."""
    looked: list[str] = []
    pulled = cache_dir() / spec.name
    looked.append(str(pulled))
    if _has_files(pulled):
        return pulled
    if spec.source.startswith("dir:"):
        local = Path(spec.source[4:]).expanduser()
        looked.append(str(local))
        if _has_files(local):
            return local
    repo = hub_repo(spec)
    if repo is not None:
        looked.append(f"Hugging Face hub cache ({repo})")
        snapshot = _hub_cache_snapshot(repo, spec.revision)
        if snapshot is not None:
            return snapshot
    raise MissingWeights(spec, looked)


def is_available(spec: ModelSpec) -> bool:
    """True when ``spec`` can be loaded on this machine without fetching anything."""
    if spec.random_init:
        return True
    try:
        if spec.kind == "bundled":
            bundled_path(spec)
        else:
            weights_dir(spec)
    except MissingWeights:
        return False
    return True


def load(spec: ModelSpec, device: str = "cpu") -> Any:
    """Load ``spec`` by its kind: ``open_clip`` gives :class:`OpenClip`; ``bundled`` a Path."""
    if spec.kind == "open_clip":
        return load_open_clip(spec, device=device)
    if spec.kind == "bundled":
        return bundled_path(spec)
    raise ValueError(f"model {spec.name!r}: no loader for kind {spec.kind!r}")


def load_open_clip(spec: ModelSpec, device: str = "cpu") -> OpenClip:
    """Build an open_clip model in eval mode on ``device``, with preprocessing and tokenizer."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import open_clip
    import torch

    if spec.random_init:
        model, preprocess, tokenizer, size = _random_open_clip(spec)
    else:
        folder = weights_dir(spec)
        if (folder / "open_clip_config.json").is_file():
            _checkpoint_in(folder, spec)  # open_clip would go on with random weights without one
            model, _, preprocess = open_clip.create_model_and_transforms(f"local-dir:{folder}", weights_only=True)
            tokenizer = open_clip.get_tokenizer(f"local-dir:{folder}")
        else:
            arch = spec.config.get("arch") or spec.source.partition(":")[2].partition("/")[0]
            checkpoint = _checkpoint_in(folder, spec)
            model, _, preprocess = open_clip.create_model_and_transforms(
                arch, pretrained=str(checkpoint), weights_only=True
            )
            tokenizer = open_clip.get_tokenizer(arch)
        size = model.visual.image_size
        size = size[0] if isinstance(size, (tuple, list)) else int(size)
    model = model.to(torch.device(device)).eval()
    return OpenClip(model=model, preprocess=preprocess, tokenizer=tokenizer, image_size=size, spec=spec)


def _random_open_clip(spec: ModelSpec):
    import open_clip
    import torch
    from open_clip.tokenizer import SimpleTokenizer

    cfg = dict(spec.config)
    seed = int(cfg.pop("seed", 0))
    cfg.pop("arch", None)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = open_clip.model.CLIP(**cfg)
    size = int(cfg["vision_cfg"]["image_size"])
    preprocess = open_clip.image_transform(size, is_train=False)
    tokenizer = SimpleTokenizer(context_length=int(cfg["text_cfg"]["context_length"]))
    return model, preprocess, tokenizer, size


def _checkpoint_in(folder: Path, spec: ModelSpec) -> Path:
    preferred = (
        "open_clip_model.safetensors",
        "open_clip_pytorch_model.safetensors",
        "open_clip_pytorch_model.bin",
        "model.safetensors",
    )
    for name in preferred:
        if (folder / name).is_file():
            return folder / name
    found = sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin"))
    if not found:
        raise MissingWeights(spec, [f"{folder} (no checkpoint file)"])
    return found[0]


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(p.name != SOURCE_FILE for p in folder.iterdir())


def _hub_cache_snapshot(repo: str, revision: str | None) -> Path | None:
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        return None
    try:
        path = snapshot_download(repo, revision=revision, local_files_only=True)
    except (LocalEntryNotFoundError, FileNotFoundError, ValueError, OSError):
        return None
    return Path(path)
