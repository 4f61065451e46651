"""Recaptioning: captioner backends, versioned prompts, the ``Recaption`` stage, hygiene rules.

Jobs write the stage out in their chain (after dedup, before the cross-check), with the
captioner :func:`recaption.params.recaptioner` picks from their ``--param`` settings.

The hallucination cross-check lives in :mod:`recaption.crosscheck`.
"""

from recaption.captioner import Captioner, CaptionRequest, Generation
from recaption.existing import caption_columns
from recaption.hygiene import clean_caption
from recaption.prompts import PromptTemplate, get_prompt, prompt_ids, register_prompt
from recaption.stage import Recaption

__all__ = [
    "CaptionRequest",
    "Captioner",
    "Generation",
    "PromptTemplate",
    "Recaption",
    "caption_columns",
    "clean_caption",
    "get_prompt",
    "prompt_ids",
    "register_prompt",
]
