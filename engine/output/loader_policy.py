"""Per-sample training policies of the loader: which caption to train on, which samples to skip.

Both work on a sample's stored metadata (its ``{key}.json``), so a run's shards serve many
training recipes without being rewritten. Every random choice is a hash of (seed, epoch, key):
the same sample gets the same caption whichever worker, node or shuffle order reads it.
"""

from __future__ import annotations

import hashlib
import operator
import re
from dataclasses import dataclass

CAPTION_MODES = ("alt", "synthetic", "mix")
_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt,
        "==": operator.eq, "!=": operator.ne}
_FILTER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(<=|>=|==|!=|<|>)\s*([-+0-9.eE]+)\s*$")


# Columns that describe a caption variant rather than hold one (``caption_<variant>_status``...).
SIDE_SUFFIXES = ("status", "meta", "prov", "provenance", "claims", "verdicts", "error", "model",
                 "prompt", "rate", "score", "seconds", "params")
CROSSCHECKED = "crosscheck"  # variant name of the caption the cross-check kept or repaired


def synthetic_captions(meta: dict, variants: tuple[str, ...] = ()) -> dict[str, str]:
    """A record's usable synthetic captions by variant name, from its stored metadata.

    Variant ``v`` is column ``caption_v`` (the recaption stage's layout); it is unusable when null,
    blank, or when ``caption_v_status`` says it failed. Variant ``crosscheck`` is the caption the
    hallucination cross-check kept or repaired (``crosscheck_caption``). With no ``variants``,
    every ``caption_*`` variant the record holds is returned.
    """
    if not variants:
        variants = tuple(
            name[len("caption_"):] for name, value in meta.items()
            if name.startswith("caption_") and isinstance(value, str)
            and not any(name.endswith("_" + s) for s in SIDE_SUFFIXES))
    out = {}
    for v in variants:
        column = "crosscheck_caption" if v == CROSSCHECKED else f"caption_{v}"
        text = meta.get(column)
        status = meta.get(f"caption_{v}_status")
        if isinstance(text, str) and text.strip() and status in (None, "ok"):
            out[v] = text
    return out


def unit_random(seed: int, epoch: int, key: str, salt: str = "") -> float:
    """A uniform number in [0, 1) fixed by (seed, epoch, key, salt)."""
    digest = hashlib.blake2b(f"{seed}:{epoch}:{salt}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True)
class CaptionPolicy:
    """Which caption a pair trains on.

    ``mode``: ``"alt"`` (the alt-text), ``"synthetic"`` (a synthetic variant), or ``"mix"``
    (a synthetic variant with probability ``p``, else the alt-text; Recap-DataComp-1B trains
    with p = 0.8). ``variants`` names the synthetic variants to draw from (``("dense",)`` reads
    column ``caption_dense``; ``("crosscheck",)`` the caption the cross-check kept or repaired),
    uniformly; empty means every variant the sample holds. When the
    chosen kind is missing (no synthetic caption, or a failed one stored as null) the sample
    falls back to the other kind if ``fallback`` is true, else it is skipped.
    """

    mode: str = "alt"
    variants: tuple[str, ...] = ()
    p: float = 0.8
    seed: int = 0
    fallback: bool = True

    def __post_init__(self):
        if self.mode not in CAPTION_MODES:
            raise ValueError(f"caption mode {self.mode!r} is not one of {', '.join(CAPTION_MODES)}")
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"caption mixing probability p={self.p} is outside [0, 1]")
        object.__setattr__(self, "variants", tuple(self.variants))

    @classmethod
    def parse(cls, spec: str, *, seed: int = 0) -> CaptionPolicy:
        """Read ``"alt"``, ``"synthetic:dense"``, ``"mix:dense:0.8"`` or ``"mix:0.8"``."""
        parts = spec.split(":")
        mode, rest = parts[0], parts[1:]
        p = 0.8
        if rest and _is_number(rest[-1]):
            p = float(rest.pop())
        variants = tuple(v for v in ",".join(rest).split(",") if v)
        return cls(mode=mode, variants=variants, p=p, seed=seed)

    def synthetic(self, meta: dict) -> dict[str, str]:
        """The sample's usable synthetic captions by variant (see :func:`synthetic_captions`)."""
        return synthetic_captions(meta, self.variants)

    def choose(self, key: str, meta: dict, alt: str | None, epoch: int = 0
               ) -> tuple[str, str] | None:
        """(caption, source) for this sample and epoch; source is ``"alt"`` or a variant name.

        None means the sample has no caption this policy accepts.
        """
        want_synthetic = self.mode == "synthetic" or (
            self.mode == "mix" and unit_random(self.seed, epoch, key, "mix") < self.p)
        alt_ok = isinstance(alt, str) and bool(alt.strip())
        if want_synthetic:
            options = self.synthetic(meta)
            if options:
                names = sorted(options)
                pick = names[int(unit_random(self.seed, epoch, key, "variant") * len(names))]
                return options[pick], pick
            return (alt, "alt") if alt_ok and self.fallback else None
        if alt_ok:
            return alt, "alt"
        if self.fallback:
            options = self.synthetic(meta)
            if options:
                name = sorted(options)[0]
                return options[name], name
        return None


@dataclass(frozen=True)
class ScoreFilter:
    """Keep samples whose stored ``column`` satisfies ``op value`` (e.g. hallucination_rate <= 0.2).

    A sample without the column (or with null) is kept only if ``keep_missing``.
    """

    column: str
    op: str
    value: float
    keep_missing: bool = False

    def __post_init__(self):
        if self.op not in _OPS:
            raise ValueError(f"unknown comparison {self.op!r}; use one of {' '.join(_OPS)}")

    @classmethod
    def parse(cls, spec: str, *, keep_missing: bool = False) -> ScoreFilter:
        """Read ``"hallucination_rate<=0.2"``."""
        m = _FILTER.match(spec)
        if not m:
            raise ValueError(f"cannot read score filter {spec!r}; write it like clip_score>=0.3")
        return cls(m.group(1), m.group(2), float(m.group(3)), keep_missing)

    def __call__(self, meta: dict) -> bool:
        value = meta.get(self.column)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return self.keep_missing
        return bool(_OPS[self.op](value, self.value))


def as_filters(filters) -> tuple[ScoreFilter, ...]:
    """Accept ScoreFilter objects or strings such as ``"hallucination_rate<=0.2"``."""
    return tuple(f if isinstance(f, ScoreFilter) else ScoreFilter.parse(f) for f in filters or ())


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
