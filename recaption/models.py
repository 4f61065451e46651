"""The captioner models loomery names, registered with the model registry on import.

- ``smolvlm-256m-instruct`` (``default`` set, role ``captioner``): HuggingFaceTB's SmolVLM
  256M, an Idefics3 model that transformers supports natively. At 256M parameters it captions
  on a laptop CPU (about 1 GB of memory in fp32), which makes it the demo's default.
- ``qwen2.5-vl-7b-instruct`` (``default`` set, role ``captioner_gpu``): Qwen2.5-VL 7B Instruct,
  native in transformers and served by vLLM/SGLang; Apache-2.0; much stronger dense captions
  and OCR; about 16 GB of weights in bf16, so one 24 GB or larger GPU per actor.
- ``captioner-tiny-random`` (``test-tiny`` set, both roles): the tiny seeded random LLaVA of
  :mod:`recaption.backends.tiny_vlm`; its captions are meaningless and every manifest says
  ``random_init``.
"""

from __future__ import annotations

from engine.models import ModelSpec, register, register_role
from recaption.backends.tiny_vlm import TINY_VLM_CONFIG

SMOLVLM_256M = register(
    ModelSpec(
        name="smolvlm-256m-instruct",
        kind="transformers",
        source="hf:HuggingFaceTB/SmolVLM-256M-Instruct",
        revision="main",
        description="SmolVLM 256M Instruct (Idefics3): small VLM that captions on CPU",
    )
)
QWEN25_VL_7B = register(
    ModelSpec(
        name="qwen2.5-vl-7b-instruct",
        kind="transformers",
        source="hf:Qwen/Qwen2.5-VL-7B-Instruct",
        revision="main",
        description="Qwen2.5-VL 7B Instruct: strong dense captioner for GPU workers (bf16)",
    )
)
CAPTIONER_TINY = register(
    ModelSpec(
        name="captioner-tiny-random",
        kind="transformers",
        source="config:captioner-tiny-random",
        random_init=True,
        config=dict(TINY_VLM_CONFIG),
        description="tiny random-weight LLaVA for tests and the demo (captions are meaningless)",
    )
)

register_role("default", "captioner", SMOLVLM_256M.name)
register_role("default", "captioner_gpu", QWEN25_VL_7B.name)
register_role("test-tiny", "captioner", CAPTIONER_TINY.name)
register_role("test-tiny", "captioner_gpu", CAPTIONER_TINY.name)
