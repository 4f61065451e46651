"""Recaptioning: captioner backends, versioned prompts, the ``Recaption`` stage, hygiene rules.

Jobs write the stage out in their chain (after dedup, before the cross-check), with the
captioner :func:`recaption.params.recaptioner` picks from their ``--param`` settings.

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
    "PromptTemplate": "recaption.prompts",
    "get_prompt": "recaption.prompts",
    "prompt_ids": "recaption.prompts",
    "register_prompt": "recaption.prompts",
    "Recaption": "recaption.stage",
}, crosscheck.EXPORTS)
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
