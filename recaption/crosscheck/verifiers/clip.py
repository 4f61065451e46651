"""CLIP grounding: each object, attribute and count claim against contrast prompts.

The support score is the softmax probability of the claim's prompt among itself and its
contrasts (see :mod:`recaption.crosscheck.prompts`), from the image's cosine similarity to each
prompt times ``temperature``. Image embeddings are cached per record and text embeddings per
prompt, so a re-check after repair costs almost nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from recaption.crosscheck.claims import Claim
from recaption.crosscheck.models import device_for, load_clip, resolve
from recaption.crosscheck.prompts import OBJECT_CONTRASTS, claim_prompts
from recaption.crosscheck.verifiers.base import Evidence, Verifier
from recaption.crosscheck.vocab import Vocabulary, load_vocabulary

_IMAGE = "clip:image"
_TEXT_CACHE_LIMIT = 50_000


class ClipGrounding(Verifier):
    """Scores object, attribute and count claims by CLIP similarity against contrast prompts.

    ``model`` names a registered CLIP (default: the model set's ``clip`` role); an
    ``engine.models.loaders.OpenClip`` already loaded may be passed as ``loaded``.
    """

    name = "clip"
    kinds = frozenset({"object", "attribute", "count"})
    default_thresholds = {"object": 0.5, "attribute": 0.3, "count": 0.3}
    default_weight = 1.0

    def __init__(self, *, model=None, model_set: str = "default", temperature: float = 100.0,
                 object_contrasts: Sequence[str] = OBJECT_CONTRASTS, batch_size: int = 64,
                 device: str | None = None, loaded=None,
                 vocab: Vocabulary | None = None, **kwargs):
        super().__init__(**kwargs)
        self.spec = resolve(model, model_set, "clip")
        self.temperature = float(temperature)
        self.object_contrasts = tuple(object_contrasts)
        self.batch_size = batch_size
        self.device = device
        self._clip = loaded
        self._vocab = vocab
        self._text: dict[str, object] = {}

    def setup(self) -> None:
        if self._clip is None:
            self.device = device_for(self.device)
            self._clip = load_clip(self.spec, self.device)
        elif self.device is None:
            self.device = str(next(self._clip.model.parameters()).device)

    def models(self) -> list[dict]:
        return [self.spec.record()]

    def score(self, evidence: Sequence[Evidence],
              claims: Sequence[Sequence[Claim]]) -> list[list[float | None]]:
        import torch

        self.setup()
        vocab = self._vocab or load_vocabulary()
        self._embed_images([ev for ev, cs in zip(evidence, claims, strict=True)
                            if cs and ev.image is not None])
        prompts = [[claim_prompts(c, vocab, self.object_contrasts) for c in cs] for cs in claims]
        self._embed_texts({p for row in prompts for main, rest in row for p in (main, *rest)})
        out = []
        for ev, cs, row in zip(evidence, claims, prompts, strict=True):
            if ev.image is None or _IMAGE not in ev.cache:
                out.append([None] * len(cs))
                continue
            image = ev.cache[_IMAGE]
            scores = []
            for main, rest in row:
                texts = torch.stack([self._text[p] for p in (main, *rest)])
                logits = self.temperature * (texts @ image)
                scores.append(float(torch.softmax(logits, dim=0)[0]))
            out.append(scores)
        return out

    def _embed_images(self, evidence: list[Evidence]) -> None:
        import torch

        todo = list({id(ev): ev for ev in evidence if _IMAGE not in ev.cache}.values())
        clip = self._clip
        for i in range(0, len(todo), self.batch_size):
            chunk = todo[i:i + self.batch_size]
            pixels = torch.stack([clip.preprocess(ev.image.convert("RGB")) for ev in chunk])
            with torch.inference_mode():
                emb = clip.model.encode_image(pixels.to(self.device)).float()
                emb = torch.nn.functional.normalize(emb, dim=-1).cpu()
            for ev, e in zip(chunk, emb, strict=True):
                ev.cache[_IMAGE] = e

    def _embed_texts(self, prompts: set[str]) -> None:
        import torch

        todo = sorted(p for p in prompts if p not in self._text)
        if len(self._text) + len(todo) > _TEXT_CACHE_LIMIT:
            self._text.clear()
        clip = self._clip
        for i in range(0, len(todo), 256):
            chunk = todo[i:i + 256]
            with torch.inference_mode():
                emb = clip.model.encode_text(clip.tokenizer(chunk).to(self.device)).float()
                emb = torch.nn.functional.normalize(emb, dim=-1).cpu()
            self._text.update(zip(chunk, emb, strict=True))
