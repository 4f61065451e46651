"""The ``transformers`` captioner: any image-text-to-text model transformers supports natively.

Weights load offline only (``HF_HUB_OFFLINE=1``, ``local_files_only=True``, never
``trust_remote_code``): from a ``dir:`` path, from ``$LOOMERY_MODEL_CACHE/<name>``, or from the
Hugging Face hub cache at the spec's revision. Absent weights raise
:class:`engine.models.MissingWeights`. A spec with ``random_init=True`` builds the tiny test VLM
from its config instead; that happens only when the spec asks for it, never as a fallback.
"""

from __future__ import annotations

import io
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.models import MissingWeights, ModelSpec, cache_dir
from recaption.captioner import Captioner, CaptionRequest, Generation
from recaption.hygiene import BAD_IMAGE


def locate_weights(spec: ModelSpec) -> tuple[str | None, list[str]]:
    """Where ``spec``'s weights are on this machine (a directory), or None; and where we looked."""
    looked: list[str] = []
    if spec.source.startswith("dir:"):
        path = Path(spec.source[4:]).expanduser()
        looked.append(str(path))
        return (str(path) if (path / "config.json").is_file() else None), looked
    if not spec.source.startswith("hf:"):
        raise ValueError(f"model {spec.name!r}: source {spec.source!r} is not dir: or hf:")
    pulled = cache_dir() / spec.name
    looked.append(str(pulled))
    if (pulled / "config.json").is_file():
        return str(pulled), looked
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    repo = spec.source[3:]
    for hub_cache in (None, str(cache_dir() / "hub")):
        looked.append(f"hub cache {hub_cache or '(default)'} for {repo}@{spec.revision or 'main'}")
        try:
            return (
                snapshot_download(repo, revision=spec.revision, cache_dir=hub_cache, local_files_only=True),
                looked,
            )
        except (LocalEntryNotFoundError, FileNotFoundError, OSError):
            continue
    return None, looked


def load_pretrained(spec: ModelSpec, dtype: Any):
    """``(model, processor)`` for a real spec, offline; MissingWeights when absent."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    path, looked = locate_weights(spec)
    if path is None:
        raise MissingWeights(spec, looked)
    from transformers import AutoModelForImageTextToText, AutoProcessor

    processor = AutoProcessor.from_pretrained(path, local_files_only=True)
    model = AutoModelForImageTextToText.from_pretrained(path, local_files_only=True, dtype=dtype)
    return model.eval(), processor


class TransformersCaptioner(Captioner):
    """Batched ``generate()`` with a transformers VLM on GPU (bf16, else fp16) or CPU (fp32).

    ``batch_size`` images go through one ``generate`` call; decoding is greedy unless
    ``sampling`` is given (e.g. ``{"do_sample": True, "temperature": 0.7, "seed": 1}``).
    ``max_new_tokens`` caps every prompt's own token budget (recorded in provenance).
    """

    backend = "transformers"

    def __init__(
        self,
        spec: ModelSpec,
        *,
        batch_size: int = 8,
        device: str | None = None,
        sampling: dict[str, Any] | None = None,
        max_new_tokens: int | None = None,
    ):
        if spec.kind != "transformers":
            raise ValueError(f"model {spec.name!r} is kind {spec.kind!r}, not transformers")
        self.spec = spec
        self.batch_size = batch_size
        self.device = device
        self.sampling = dict(sampling or {"do_sample": False})
        self.max_new_tokens = max_new_tokens
        self._model = None
        self._processor = None

    def setup(self) -> None:
        if self._model is not None:
            return
        import torch

        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        if device.startswith("cuda"):
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        else:
            dtype = torch.float32
        if self.spec.random_init:
            from recaption.backends.tiny_vlm import build_tiny_vlm

            model, processor = build_tiny_vlm(self.spec.config)
            model = model.to(dtype=dtype)
        else:
            model, processor = load_pretrained(self.spec, dtype)
        processor.tokenizer.padding_side = "left"  # decoder-only generation pads on the left
        self._model, self._processor, self._device = model.to(device), processor, device
        eos = model.generation_config.eos_token_id
        self._eos = set(eos if isinstance(eos, list) else [eos]) - {None}
        pad = model.generation_config.pad_token_id
        self._pad = pad if pad is not None else processor.tokenizer.pad_token_id

    def identity(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model": self.spec.name,
            "source": self.spec.source,
            "revision": self.spec.revision,
            "random_init": self.spec.random_init,
            "params": dict(sorted(self.sampling.items())),
            **({"max_new_tokens_cap": self.max_new_tokens} if self.max_new_tokens else {}),
        }

    def models(self, stage: str | None = None) -> list[dict[str, Any]]:
        return [self.spec.record(stage)]

    def generate(self, requests: list[CaptionRequest]) -> list[Generation]:
        self.setup()
        if self.max_new_tokens:
            requests = [replace(r, max_new_tokens=min(r.max_new_tokens, self.max_new_tokens)) for r in requests]
        out: list[Generation | None] = [None] * len(requests)
        # Requests with the same budget share a generate() call, so one long prompt does not
        # stretch every short one. Images are decoded chunk by chunk to bound memory.
        order = sorted(range(len(requests)), key=lambda i: requests[i].max_new_tokens)
        for start in range(0, len(order), self.batch_size):
            chunk = []
            for i in order[start : start + self.batch_size]:
                image, error = _decode(requests[i].image)
                if image is None:
                    out[i] = Generation(None, error=error, error_status=BAD_IMAGE)
                else:
                    chunk.append((i, image))
            if not chunk:
                continue
            budget = max(requests[i].max_new_tokens for i, _ in chunk)
            for (i, _), gen in zip(chunk, self._generate_chunk(chunk, requests, budget), strict=True):
                out[i] = gen
        return out  # type: ignore[return-value]

    def _generate_chunk(self, chunk, requests, budget: int) -> list[Generation]:
        import torch

        conversations = [
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "image", "image": image},
                        {"type": "text", "text": requests[i].prompt},
                    ],
                }
            ]
            for i, image in chunk
        ]
        started = time.perf_counter()
        inputs = self._processor.apply_chat_template(
            conversations,
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            processor_kwargs={"padding": True},
        ).to(self._device)
        if "pixel_values" in inputs and inputs["pixel_values"].is_floating_point():
            inputs["pixel_values"] = inputs["pixel_values"].to(self._model.dtype)
        kwargs = dict(self.sampling)
        seed = kwargs.pop("seed", None)
        if seed is not None and kwargs.get("do_sample"):
            torch.manual_seed(int(seed))
        with torch.inference_mode():
            sequences = self._model.generate(**inputs, max_new_tokens=budget, **kwargs)
        new = sequences[:, inputs["input_ids"].shape[1] :].tolist()
        seconds = (time.perf_counter() - started) / len(chunk)
        results = []
        for (i, _), ids in zip(chunk, new, strict=True):
            limit = requests[i].max_new_tokens
            end = next((k for k, t in enumerate(ids) if t in self._eos), None)
            kept = ids[: end if end is not None else limit]
            kept = [t for t in kept if t != self._pad]
            text = self._processor.tokenizer.decode(kept, skip_special_tokens=True)
            results.append(
                Generation(
                    text,
                    hit_token_limit=end is None and len(kept) >= limit,
                    tokens=len(kept),
                    seconds=seconds,
                )
            )
        return results


def _decode(data: bytes | None):
    """A Pillow RGB image from encoded bytes, or (None, why)."""
    from PIL import Image

    if not data:
        return None, "no image bytes"
    try:
        image = Image.open(io.BytesIO(data))
        image.draft("RGB", (1024, 1024))  # JPEG: decode at reduced scale, VLMs resize anyway
        return image.convert("RGB"), None
    except Exception as exc:  # Pillow raises many types for corrupt input
        return None, f"cannot decode image ({type(exc).__name__})"
