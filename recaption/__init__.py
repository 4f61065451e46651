"""Recaptioning: captioner backends, versioned prompts, the ``Recaption`` stage, hygiene rules.

Jobs add the stage with :func:`stages_for` (after dedup, before the cross-check)::

    stages += recaption.stages_for(params, documents=False, notes=notes)

The hallucination cross-check lives in :mod:`recaption.crosscheck`; its names (``CrossCheck``...)
are exported here too. Each name loads its module on first use, so ``import recaption`` loads no
model library.
"""

from engine.exports import lazy_exports, merged_exports
from recaption import crosscheck

EXPORTS = merged_exports({
    "CaptionRequest": "recaption.captioner",
    "Captioner": "recaption.captioner",
    "Generation": "recaption.captioner",
    "caption_columns": "recaption.existing",
    "clean_caption": "recaption.hygiene",
    "stages_for": "recaption.pipeline",
    "PromptTemplate": "recaption.prompts",
    "get_prompt": "recaption.prompts",
    "prompt_ids": "recaption.prompts",
    "register_prompt": "recaption.prompts",
    "Recaption": "recaption.stage",
}, crosscheck.EXPORTS)
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
