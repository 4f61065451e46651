"""The captioner interface every backend implements.

A captioner turns a list of :class:`CaptionRequest` (encoded image bytes and a rendered prompt)
into one :class:`Generation` per request, in order. It never raises for one bad request: a
failure is a Generation with ``error`` set, so one broken image or one failed HTTP call costs
only its own caption. Captioners are built on the driver and shipped to workers, so their
constructors only record settings; ``setup()`` loads models or opens connections once per worker.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CaptionRequest:
    """One image to caption with one prompt; ``max_new_tokens`` is that prompt's budget."""

    image: bytes | None
    prompt: str
    max_new_tokens: int = 64


@dataclass(frozen=True)
class Generation:
    """What a backend returned for one request.

    ``hit_token_limit``: generation stopped on ``max_new_tokens`` (a possible truncation).
    ``error``: why there is no text (``status`` is then ``error`` or ``bad_image``).
    """

    text: str | None
    hit_token_limit: bool = False
    tokens: int = 0
    seconds: float = 0.0
    error: str | None = None
    error_status: str = "error"


class Captioner:
    """Base class of the backends: ``setup()`` then ``generate(requests)``."""

    backend: str = ""

    def setup(self) -> None:
        """Load the model or open the client; called once per worker before ``generate``."""

    def generate(self, requests: list[CaptionRequest]) -> list[Generation]:
        """One Generation per request, in order; failures are Generations with ``error``."""
        raise NotImplementedError

    def identity(self) -> dict[str, Any]:
        """What names this captioner in provenance: backend, model, revision, parameters."""
        raise NotImplementedError

    def models(self, stage: str | None = None) -> list[dict[str, Any]]:
        """The manifest entries for the model(s) this captioner uses."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections; the default does nothing."""


def provenance_hash(identity: dict[str, Any], prompt_ref: str) -> str:
    """A short stable hash of everything that determines a caption besides the image."""
    blob = json.dumps({"captioner": identity, "prompt": prompt_ref}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
