"""The cross-check ``--param`` settings, and the verifiers a job's settings let run.

A job writes the :class:`~recaption.crosscheck.stage.CrossCheck` stage out in its chain, after
``Recaption``, with the verifiers :func:`crosscheck_verifiers` returns (none, with a note, when
it is off or no verifier can run).
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.models import loaders
from engine.params import Param, ParamGroup, Values, auto_bool
from recaption.crosscheck.models import resolve

DEFAULT_VERIFIERS = ["clip", "ocr", "alt_text"]
_ROLES = {"clip": "clip", "detector": "detector"}

CROSSCHECK_PARAMS = ParamGroup(
    "caption cross-check (recaption/crosscheck)",
    Param("crosscheck", auto_bool, "auto", "auto: run, leaving out (noted) each model verifier "
          "whose weights are absent; true: a missing weight is an error; false: off"),
    Param("crosscheck_verifiers", list, [], "verifiers to run, of clip, ocr, alt_text, detector (unset: "
          "clip,ocr,alt_text; documents have no alt-text)"),
    Param("crosscheck_variants", list, [], "caption variants in order of preference (unset: every "
          "caption_<variant> column, in schema order)"),
    Param("crosscheck_keep_max", float, 0.0, "keep a caption whose unsupported-claim rate is at most this"),
    Param("crosscheck_repair_max", float, 0.5, "repair a caption whose rate is at most this"),
    Param("crosscheck_min_words", int, 3, "a repaired caption keeps at least this many words"),
    Param("crosscheck_rounds", int, 2, "repair rounds"),
    Param("crosscheck_fallback_alt", bool, False, "fall back to the alt-text when no caption holds"),
    Param("crosscheck_reject", bool, True, "false: annotate only, reject nothing"),
    Param("crosscheck_thresholds", str, None, "JSON file {verifier: {kind: threshold}}, as "
          "`loomery crosscheck --calibrate` writes"),
    Param("crosscheck_workers", int, 1, "cross-check actors"),
    Param("crosscheck_batch", int, 32, "records per cross-check call"),
    Param("crosscheck_gpus", float, 0.0, "GPUs per cross-check actor"),
)


def crosscheck_verifiers(params: Values, notes: list[str], *, documents: bool = False) -> list[str]:
    """The verifiers that can run: the chosen ones less those whose weights are not here (each
    noted; with ``crosscheck=true`` a missing weight is an error), and less ``alt_text`` for
    documents. Empty, with a note, when the cross-check is off or nothing can run."""
    if params.crosscheck == "false":
        notes.append("crosscheck: off (--param crosscheck=false)")
        return []
    verifiers = list(params.crosscheck_verifiers) or list(DEFAULT_VERIFIERS)
    if documents and "alt_text" in verifiers:
        verifiers.remove("alt_text")
    for name in [v for v in verifiers if v in _ROLES]:
        spec = resolve(None, params.models, _ROLES[name])
        if not loaders.is_available(spec):
            if params.crosscheck == "true":
                loaders.weights_dir(spec)  # raises MissingWeights, naming `loomery models pull`
            verifiers.remove(name)
            notes.append(f"crosscheck: {name} verifier left out, weights for {spec.name!r} are not here "
                         f"(loomery models pull {spec.name})")
    if not verifiers:
        notes.append("crosscheck: skipped, no verifier can run")
    return verifiers


def crosscheck_thresholds(params: Values) -> dict | None:
    """The calibrated thresholds file's contents, or None."""
    path = params.crosscheck_thresholds
    return json.loads(Path(path).read_text()) if path else None
