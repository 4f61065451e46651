"""A loaded open_clip model that embeds encoded images and texts in batches.

Shared by the CLIP stages (pairs and documents). Decoding and preprocessing happen here, inside
the worker that holds the model, so that only bytes travel between workers. On a GPU the model
runs under fp16 (or bf16) autocast; on a CPU in fp32 with ``threads`` intra-op threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.stage import Filter, Resources
from filters.images.pixels import BadImage, open_rgb


@dataclass
class ImageEmbeddings:
    """Unit-norm embeddings of the images that decoded; ``reasons[i]`` is set for the others."""

    vectors: np.ndarray  # (n_valid, dim) float32
    valid: np.ndarray  # (n,) bool
    reasons: list[str | None]
    details: list[str | None]


class ClipEncoder:
    """Embeds images (bytes) and texts with one open_clip model on one device."""

    def __init__(self, spec, *, device: str = "cpu", precision: str = "auto", threads: int = 1):
        import torch

        from engine.models.loaders import load_open_clip

        if device == "cpu":
            torch.set_num_threads(max(1, threads))
        self.torch = torch
        self.device = torch.device(device)
        self.bundle = load_open_clip(spec, device=device)
        if precision == "auto":
            precision = "fp16" if self.device.type == "cuda" else "fp32"
        self.precision = precision
        self._dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision)
        size = self.bundle.image_size
        self._draft = (size, size)

    def _autocast(self):
        if self._dtype is None or self.device.type != "cuda":
            import contextlib

            return contextlib.nullcontext()
        return self.torch.autocast("cuda", dtype=self._dtype)

    def embed_images(self, images: list[bytes | None]) -> ImageEmbeddings:
        """Decode, preprocess and embed ``images``; undecodable ones get a reason instead."""
        tensors, reasons, details = [], [], []
        for data in images:
            try:
                tensors.append(self.bundle.preprocess(open_rgb(data, draft=self._draft)))
                reasons.append(None)
                details.append(None)
            except BadImage as bad:
                reasons.append(bad.reason)
                details.append(bad.detail or None)
        valid = np.array([r is None for r in reasons], dtype=bool)
        if not tensors:
            return ImageEmbeddings(np.zeros((0, 0), np.float32), valid, reasons, details)
        batch = self.torch.stack(tensors).to(self.device, non_blocking=True)
        with self.torch.inference_mode(), self._autocast():
            features = self.bundle.model.encode_image(batch)
        return ImageEmbeddings(self._normalized(features), valid, reasons, details)

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """Unit-norm embeddings of ``texts`` (float32, one row per text)."""
        if not texts:
            return np.zeros((0, 0), np.float32)
        tokens = self.bundle.tokenizer(texts).to(self.device, non_blocking=True)
        with self.torch.inference_mode(), self._autocast():
            features = self.bundle.model.encode_text(tokens)
        return self._normalized(features)

    def _normalized(self, features) -> np.ndarray:
        features = features.float()
        features = features / features.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        return features.cpu().numpy()


def float16_lists(vectors: np.ndarray, valid: np.ndarray):
    """A ``list<halffloat>`` Arrow array: one row per entry of ``valid``, null where invalid."""
    import pyarrow as pa

    n = len(valid)
    dim = vectors.shape[1] if vectors.size else 0
    lengths = np.where(valid, dim, 0).astype(np.int32)
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    values = pa.array(vectors.astype(np.float16).reshape(-1), pa.float16())
    mask = pa.array(~valid)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, mask=mask)


PRECISIONS = ("auto", "fp16", "bf16", "fp32")


def gpu_available() -> bool:
    """True when torch sees a CUDA device here (the driver decides the pool's ``num_gpus``)."""
    import torch

    return torch.cuda.is_available()


@dataclass(frozen=True)
class ClipConfig:
    """Where and how a CLIP stage runs. ``batch_size``: records per call (None: the stage's own
    default); ``concurrency``: actors in the pool (None: as many as the resources allow);
    ``num_gpus``: per actor (None: one when this machine has a GPU, else 0); ``precision``:
    ``auto`` (fp16 on GPU, fp32 on CPU), ``fp16``, ``bf16`` or ``fp32``."""

    batch_size: int | None = None
    concurrency: int | None = None
    num_cpus: float = 1.0
    num_gpus: float | None = None
    precision: str = "auto"

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}")

    def resources(self, default_batch: int) -> Resources:
        """The actor pool's resources; a GPU is asked for when this (the driver's) machine has one."""
        gpus = self.num_gpus if self.num_gpus is not None else (1.0 if gpu_available() else 0.0)
        return Resources(num_cpus=self.num_cpus, num_gpus=gpus, batch_size=self.batch_size or default_batch,
                         concurrency=self.concurrency)


class ClipModelFilter(Filter):
    """What the CLIP stages share: the model spec in ``_spec``, one encoder per worker loaded in
    ``setup()``, never pickled to other workers. Subclasses set ``_spec``, ``precision`` and
    ``_encoder = None`` in ``__init__``."""

    def models(self) -> list[dict[str, Any]]:
        return [self._spec.record(self.name)]

    def __getstate__(self) -> dict:
        # a loaded model stays in its worker: copies sent to other workers load their own
        return {**self.__dict__, "_encoder": None}

    def setup(self) -> None:
        device = "cuda" if self.resources.num_gpus > 0 else "cpu"
        self._encoder = ClipEncoder(
            self._spec, device=device, precision=self.precision, threads=int(max(1, self.resources.num_cpus))
        )
