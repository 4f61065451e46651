"""Named crash points for resume tests: ``LOOMERY_FAILPOINT=NAME:N`` makes the driver kill
itself with SIGKILL the N-th time it passes point NAME. Unset, it costs one dict lookup."""

import os
import signal
from collections import Counter

_hits: Counter = Counter()


def failpoint(name: str) -> None:
    """Crash here if the environment asks for it (tests only)."""
    spec = os.environ.get("LOOMERY_FAILPOINT")
    if not spec:
        return
    target, _, count = spec.partition(":")
    if target != name:
        return
    _hits[name] += 1
    if _hits[name] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)
