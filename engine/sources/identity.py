"""Source identities for local inputs: a file's path relative to the inputs' common folder."""

import posixpath
from collections.abc import Sequence


def relative_names(paths: Sequence[str]) -> dict[str, str]:
    """Map each path to its name relative to the common parent folder of all ``paths``.

    Keys of local records hash ``name#index``, so moving the whole input folder keeps them.
    """
    if not paths:
        return {}
    parents = [posixpath.dirname(p) for p in paths]
    common = posixpath.commonpath(parents) if len(set(parents)) > 1 else parents[0]
    return {p: posixpath.relpath(p, common) if common else p for p in paths}
