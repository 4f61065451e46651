"""Text prompts for grounding claims in an image: one for the claim, several to contrast it with.

Scoring a claim against contrasts (F-CLIPScore style) rather than alone makes a support score
mean something: "a red car" is weighed against the same car in other colours, "two dogs" against
other numbers of dogs, an object against generic photos that name nothing.
"""

from __future__ import annotations

import re

from recaption.crosscheck.claims import Claim, number_word
from recaption.crosscheck.vocab import Vocabulary

OBJECT_CONTRASTS = ("a photo.", "a photo of something.", "a photo of a scene.")
COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black",
           "white", "gray")
MATERIALS = {"wood": "wooden", "metal": "metal", "glass": "glass", "plastic": "plastic",
             "stone": "stone", "brick": "brick", "concrete": "concrete", "leather": "leather",
             "paper": "paper", "ceramic": "ceramic", "wicker": "wicker", "fabric": "fabric"}
SIZE_OPPOSITES = {"small": ("large",), "large": ("small",), "tall": ("short",),
                  "short": ("tall", "long"), "long": ("short",)}
COUNTS = (1, 2, 3, 4, 6)


def article(phrase: str) -> str:
    return "an" if re.match(r"[aeiou]", phrase, re.IGNORECASE) else "a"


def _photo_of(noun_phrase: str, plural: bool) -> str:
    return f"a photo of {noun_phrase}." if plural else \
        f"a photo of {article(noun_phrase)} {noun_phrase}."


def claim_prompts(claim: Claim, vocab: Vocabulary,
                  object_contrasts: tuple[str, ...] = OBJECT_CONTRASTS) -> tuple[str, list[str]]:
    """(prompt for the claim, contrast prompts) for an object, attribute or count claim."""
    noun = claim.phrase.split(" ", 1)[1] if claim.kind != "object" else claim.phrase
    singular, plural = vocab.forms(noun)
    is_plural = noun.lower() == plural and singular != plural
    if claim.kind == "object":
        return _photo_of(noun.lower(), is_plural), list(object_contrasts)
    if claim.kind == "count":
        n = int(claim.value)
        def counted(k: int) -> str:
            return f"a photo of {number_word(k)} {singular if k == 1 else plural}."
        others = [counted(k) for k in COUNTS if k != n] + [f"a photo of many {plural}."]
        return counted(n), others
    value = str(claim.value)
    if claim.attribute == "colour":
        words, claimed = COLOURS, value
    elif claim.attribute == "material":
        words, claimed = tuple(MATERIALS.values()), MATERIALS.get(value, value)
    else:
        words, claimed = (value, *SIZE_OPPOSITES.get(value, ())), value
    target = noun.lower() if is_plural else singular
    prompt = _photo_of(f"{claimed} {target}", is_plural)
    return prompt, [_photo_of(f"{w} {target}", is_plural) for w in words if w != claimed]
