"""Models the cross-check uses: a CLIP for grounding and an OWLv2 detector, honest about weights.

CLIP is the CLIP filters' model (``clip`` role: ``clip-tiny-random`` in ``test-tiny``, registered
by :mod:`filters.models`), loaded through ``engine.models.loaders``; this module registers the
OWLv2 detector (``detector`` role). Test models are tiny, randomly initialised from a config
(``random_init=True``) and run only when a job names them; real weights are read offline from
``loomery models pull`` or the hub cache, and a missing one raises :class:`engine.models.MissingWeights`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.models import ModelSpec, get, loaders, model_for, register, register_role
from filters import models as _clip_models  # noqa: F401  (registers the ``clip`` role)

OWL_TINY = register(ModelSpec(
    name="owlv2-tiny-random", kind="owlv2", source="config:owlv2-tiny", random_init=True,
    description="Tiny random OWLv2 for tests and benchmarks of the detector verifier.",
    config={"image_size": 64, "seed": 0,
            "text_config": {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2,
                            "num_hidden_layers": 2, "vocab_size": 49408,
                            "max_position_embeddings": 16},
            "vision_config": {"hidden_size": 32, "intermediate_size": 64,
                              "num_attention_heads": 2, "num_hidden_layers": 2,
                              "image_size": 64, "patch_size": 16},
            "projection_dim": 32},
))
OWL_BASE = register(ModelSpec(
    name="owlv2-base-patch16-ensemble", kind="owlv2",
    source="hf:google/owlv2-base-patch16-ensemble",
    description="OWLv2 open-vocabulary detector for object and count claims.",
))
register_role("test-tiny", "detector", OWL_TINY.name)
register_role("default", "detector", OWL_BASE.name)

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def resolve(model: str | ModelSpec | None, model_set: str, role: str) -> ModelSpec:
    """The spec to load: given directly, by name, or the model set's model for ``role``."""
    if isinstance(model, ModelSpec):
        return model
    if model:
        return get(model)
    spec = model_for(model_set, role)
    if spec is None:
        raise KeyError(f"model set {model_set!r} has no {role!r} model; pass one by name")
    return spec


def device_for(requested: str | None = None) -> str:
    import torch

    return requested or ("cuda" if torch.cuda.is_available() else "cpu")


def load_clip(spec: ModelSpec, device: str | None = None) -> loaders.OpenClip:
    """An open_clip model through the shared loader (tiny random ones built from their config)."""
    return loaders.load_open_clip(spec, device=device_for(device))


@dataclass
class Detector:
    """An OWLv2 model with the image size it expects and a CLIP-BPE tokenizer (16 tokens)."""

    model: Any
    tokenizer: Any
    image_size: int
    device: str


def load_detector(spec: ModelSpec, device: str | None = None) -> Detector:
    """OWLv2: tiny random from ``spec.config``, or real weights from a local snapshot offline."""
    import open_clip
    import torch
    from transformers import Owlv2Config, Owlv2ForObjectDetection

    device = device_for(device)
    tokenizer = open_clip.tokenizer.SimpleTokenizer(context_length=16)
    if spec.random_init:
        cfg = dict(spec.config)
        seed = int(cfg.pop("seed", 0))
        size = int(cfg.pop("image_size"))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = Owlv2ForObjectDetection(Owlv2Config(**cfg))
    else:
        folder = loaders.weights_dir(spec)  # MissingWeights names `loomery models pull NAME`
        model = Owlv2ForObjectDetection.from_pretrained(str(folder), local_files_only=True)
        size = int(model.config.vision_config.image_size)
    return Detector(model.to(device).eval(), tokenizer, size, device)
