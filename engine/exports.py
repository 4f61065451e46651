"""Package exports that load on first use (PEP 562), so that importing a package is cheap.

``from filters import ClipScore`` should work, but ``import filters`` must not load torch,
open_clip or onnxruntime for a job that uses none of them. A package lists its public names in
a table ``{name: module}`` and gets ``__getattr__`` and ``__dir__`` from :func:`lazy_exports`;
the module holding a name is imported the first time the name is asked for.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, table: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, resolving each name of ``table`` from its module."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(table))

    # A name that is also its module's name (``repair`` in ``.repair``) is resolved now: importing
    # the submodule later would set the package attribute to the module, hiding the name.
    for name, module in table.items():
        if module == f"{package}.{name}":
            setattr(sys.modules[package], name, getattr(importlib.import_module(module), name))
    return __getattr__, __dir__


def merged_exports(*tables: Mapping[str, str]) -> dict[str, str]:
    """One table from several (a package's and its subpackages'); a name exported twice is an error."""
    out: dict[str, str] = {}
    for table in tables:
        for name, module in table.items():
            if out.setdefault(name, module) != module:
                raise ImportError(f"{name!r} is exported by both {out[name]} and {module}")
    return out
