"""Recaptioning: captioner backends, versioned prompts, the ``Recaption`` stage, hygiene rules.

Jobs add the stage with :func:`stages_for` (after dedup, before the cross-check)::

    stages += recaption.stages_for(params, documents=False, notes=notes)

The hallucination cross-check lives in :mod:`recaption.crosscheck`.
"""

from recaption.captioner import Captioner, CaptionRequest, Generation
from recaption.existing import caption_columns
from recaption.hygiene import clean_caption
from recaption.pipeline import stages_for
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
    "stages_for",
]
