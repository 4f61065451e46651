"""Mergeable quantile sketches of score columns (Apache DataSketches' KLL), kept as base64 text
in the JSON a run writes, so percentiles of any number of records come from O(units) merges.

A KLL sketch of ``k`` = 200 answers any quantile within a normalized rank error of about 1.3%
(99% confidence), whatever ``n``. While ``n`` <= ``k`` it holds every value with weight 1, so the
percentiles here are then exact: the same ``np.percentile`` over the same values as before.
Doubles, not floats: the scores are float64 in the sidecars, and a small run's percentiles stay
equal to the exact ones to the last digit. Cost: a serialized sketch is 64 bytes empty, about
2.6 KB at 1,000 values and stays under ~5 KB at any size (base64 adds a third); a merge is a
few microseconds.
"""

from __future__ import annotations

import base64

import numpy as np
from datasketches import kll_doubles_sketch

K = 200


def sketch_of(values: np.ndarray) -> str:
    """The base64 KLL sketch of the finite ``values``."""
    values = np.asarray(values, dtype=np.float64)
    sketch = kll_doubles_sketch(K)
    finite = values[np.isfinite(values)]
    if finite.size:
        sketch.update(finite)
    return _encode(sketch)


def merge_sketches(a: str, b: str) -> str:
    """The base64 sketch of the union of the values of ``a`` and ``b``."""
    sketch = _decode(a)
    sketch.merge(_decode(b))
    return _encode(sketch)


def sketch_percentiles(encoded: str, percents: tuple[int, ...]) -> dict:
    """``{"n", "mean", "p<P>"...}`` as ``engine.output.scores.percentiles`` gives, from a sketch:
    exact while the sketch holds every value, else KLL estimates (the mean from the weighted
    retained values, an estimate too)."""
    sketch = _decode(encoded)
    out: dict = {"n": int(sketch.n)}
    if sketch.is_empty():
        return out | {"mean": None} | {f"p{p}": None for p in percents}
    items = list(sketch)
    values = np.array([v for v, _ in items], dtype=np.float64)
    weights = np.array([w for _, w in items], dtype=np.float64)
    out["mean"] = round(float(np.average(values, weights=weights)), 6)
    if sketch.is_estimation_mode():
        quantiles = sketch.get_quantiles([p / 100 for p in percents])
    else:
        quantiles = np.percentile(values, percents)
    for p, v in zip(percents, quantiles, strict=True):
        out[f"p{p}"] = round(float(v), 6)
    return out


def _encode(sketch: kll_doubles_sketch) -> str:
    return base64.b64encode(sketch.serialize()).decode("ascii")


def _decode(encoded: str) -> kll_doubles_sketch:
    return kll_doubles_sketch.deserialize(base64.b64decode(encoded))
