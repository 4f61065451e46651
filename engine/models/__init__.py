"""The model registry: named models with their source, and the model sets jobs choose between."""

from engine.models.registry import (
    MissingWeights,
    ModelSpec,
    cache_dir,
    get,
    model_for,
    model_sets,
    names,
    register,
    register_role,
)

__all__ = [
    "MissingWeights",
    "ModelSpec",
    "cache_dir",
    "get",
    "model_for",
    "model_sets",
    "names",
    "register",
    "register_role",
]
