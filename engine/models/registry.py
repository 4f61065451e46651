"""Named models and model sets (DESIGN.md invariant 6: models are honest).

A :class:`ModelSpec` names a model and where its weights come from: a Hugging Face hub id and
revision (``hf:org/name``), an open_clip pretrained tag (``open_clip:ARCH/TAG``), or a local
directory (``dir:/path``). Test models are built with random weights from a config
(``random_init=True``) and are only ever used when a job asks for them by name.

A model set maps roles (``clip``, ``captioner``, ...) to model names; jobs pick a set with
``--param models=NAME`` (``default`` or ``test-tiny``). Each area registers its own specs and
roles from its own module, beside the stages that use them (``filters.models``,
``filters.safety.models``, ``recaption.models``, ``recaption.crosscheck.models``), so that no
file lists every model and the engine names none.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ModelSpec:
    """A named model: ``kind`` picks the loader (``open_clip``, ``transformers``, ...)."""

    name: str
    kind: str
    source: str
    revision: str | None = None
    random_init: bool = False
    config: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def record(self, stage: str | None = None) -> dict[str, Any]:
        """The manifest's entry for this model."""
        return {
            "name": self.name,
            "kind": self.kind,
            "source": self.source,
            "revision": self.revision,
            "random_init": self.random_init,
            "stage": stage,
        }


class MissingWeights(RuntimeError):
    """A model's weights are not on this machine; the message says how to fetch them."""

    def __init__(self, spec: ModelSpec, looked_in: list[str]):
        self.spec = spec
        where = ", ".join(looked_in) or "nowhere"
        super().__init__(
            f"weights for model {spec.name!r} ({spec.source}"
            f"{'@' + spec.revision if spec.revision else ''}) are not available offline "
            f"(looked in: {where}). Fetch them on a machine with access with "
            f"`loomery models pull {spec.name} --cache-dir DIR` and point LOOMERY_MODEL_CACHE at DIR."
        )


_SPECS: dict[str, ModelSpec] = {}
_SETS: dict[str, dict[str, str]] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add ``spec`` to the registry (re-registering the same spec is allowed)."""
    existing = _SPECS.get(spec.name)
    if existing is not None and existing != spec:
        raise ValueError(f"model {spec.name!r} is already registered with another spec")
    _SPECS[spec.name] = spec
    return spec


def register_role(model_set: str, role: str, model_name: str) -> None:
    """Make ``model_name`` the model for ``role`` in ``model_set``."""
    _SETS.setdefault(model_set, {})[role] = model_name


def get(name: str) -> ModelSpec:
    """The spec named ``name``; a KeyError lists the registered names."""
    try:
        return _SPECS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; registered: {', '.join(sorted(_SPECS))}") from None


def model_for(model_set: str, role: str) -> ModelSpec | None:
    """The spec for ``role`` in ``model_set``, or None when the set has no model for it."""
    if model_set not in _SETS:
        raise KeyError(f"unknown model set {model_set!r}; known: {', '.join(sorted(_SETS))}")
    name = _SETS[model_set].get(role)
    return None if name is None else get(name)


def names() -> list[str]:
    return sorted(_SPECS)


def model_sets() -> dict[str, dict[str, str]]:
    return {k: dict(v) for k, v in _SETS.items()}


def cache_dir() -> Path:
    """Where pulled weights live: ``$LOOMERY_MODEL_CACHE``, else ``~/.cache/loomery/models``."""
    return Path(os.environ.get("LOOMERY_MODEL_CACHE", Path.home() / ".cache/loomery/models"))


def installed_version(dist: str) -> str:
    """``dist==VERSION`` of the installed package that ships a bundled model (its revision)."""
    try:
        return f"{dist}=={version(dist)}"
    except PackageNotFoundError:
        return f"{dist} (not installed)"


def bundled(name: str, source: str, dist: str, description: str) -> ModelSpec:
    """A model shipped inside an installed package (``source`` is ``pkg:PACKAGE/PATH``), its
    revision the package's installed version, registered."""
    return register(ModelSpec(name=name, kind="bundled", source=source, revision=installed_version(dist),
                              description=description))
