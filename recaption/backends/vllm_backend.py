"""The optional ``vllm`` captioner: vLLM's offline engine inside the stage's actor.

Used only when the ``vllm`` package is installed (it is not a loomery dependency); on a GPU it
batches far better than ``transformers.generate``. Weights load offline from the same places as
the transformers backend (:func:`locate_weights`). For a vLLM *server*, use the ``openai``
backend instead.
"""

from __future__ import annotations

import base64
import os
import time
from typing import Any

from engine.models import MissingWeights, ModelSpec
from recaption.backends.openai_backend import image_mime
from recaption.backends.transformers_backend import locate_weights
from recaption.captioner import Captioner, CaptionRequest, Generation
from recaption.hygiene import BAD_IMAGE


def available() -> bool:
    """True when vLLM can be imported here."""
    try:
        import vllm  # noqa: F401
    except ImportError:
        return False
    return True


class VllmCaptioner(Captioner):
    """``vllm.LLM(...).chat`` over batches of image prompts; greedy decoding by default."""

    backend = "vllm"

    def __init__(
        self,
        spec: ModelSpec,
        *,
        engine: dict[str, Any] | None = None,
        sampling: dict[str, Any] | None = None,
    ):
        self.spec = spec
        self.engine = dict(engine or {"max_model_len": 4096, "limit_mm_per_prompt": {"image": 1}})
        self.sampling = dict(sampling or {"temperature": 0.0, "seed": 0})
        self._llm = None

    def __getstate__(self):
        return {**self.__dict__, "_llm": None}

    def setup(self) -> None:
        if self._llm is not None:
            return
        from vllm import LLM

        os.environ["HF_HUB_OFFLINE"] = "1"
        path, looked = locate_weights(self.spec)
        if path is None:
            raise MissingWeights(self.spec, looked)
        self._llm = LLM(model=path, trust_remote_code=False, seed=0, **self.engine)

    def identity(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model": self.spec.name,
            "source": self.spec.source,
            "revision": self.spec.revision,
            "random_init": self.spec.random_init,
            "params": dict(sorted(self.sampling.items())),
        }

    def models(self, stage: str | None = None) -> list[dict[str, Any]]:
        return [self.spec.record(stage)]

    def generate(self, requests: list[CaptionRequest]) -> list[Generation]:
        from vllm import SamplingParams

        self.setup()
        out: list[Generation | None] = [None] * len(requests)
        ready, conversations, params = [], [], []
        for i, req in enumerate(requests):
            mime, error = image_mime(req.image)
            if mime is None:
                out[i] = Generation(None, error=error, error_status=BAD_IMAGE)
                continue
            url = f"data:{mime};base64,{base64.b64encode(req.image).decode('ascii')}"
            content = [
                {"type": "image_url", "image_url": {"url": url}},
                {"type": "text", "text": req.prompt},
            ]
            ready.append(i)
            conversations.append([{"role": "user", "content": content}])
            params.append(SamplingParams(max_tokens=req.max_new_tokens, **self.sampling))
        if ready:
            started = time.perf_counter()
            results = self._llm.chat(conversations, sampling_params=params, use_tqdm=False)
            seconds = (time.perf_counter() - started) / len(ready)
            for i, result in zip(ready, results, strict=True):
                best = result.outputs[0]
                out[i] = Generation(
                    best.text,
                    hit_token_limit=best.finish_reason == "length",
                    tokens=len(best.token_ids),
                    seconds=seconds,
                )
        return out  # type: ignore[return-value]
