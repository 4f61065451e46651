"""How a job adds the cross-check after recaptioning: ``stages_for(params)`` builds the stage.

Parameters (all optional):

- ``models``: the model set (``default`` or ``test-tiny``) naming the ``clip`` and ``detector``;
- ``crosscheck``: ``auto`` (default: run, leaving out with a note each model verifier whose
  weights are not on this machine), ``true`` (a missing weight is an error) or ``false``;
- ``crosscheck_verifiers``: comma-separated, of ``clip``, ``ocr``, ``alt_text``, ``detector``
  (default ``clip,ocr,alt_text``; documents have no alt-text, so ``alt_text`` is dropped there);
- ``crosscheck_variants``: caption variants in order of preference (default: every
  ``caption_<variant>`` column, in schema order);
- ``crosscheck_keep_max`` (0.0), ``crosscheck_repair_max`` (0.5), ``crosscheck_min_words`` (3),
  ``crosscheck_rounds`` (2), ``crosscheck_fallback_alt`` (false): the :class:`Policy`;
- ``crosscheck_reject`` (true): false only annotates;
- ``crosscheck_thresholds``: a JSON file ``{verifier: {kind: threshold}}``, such as the one
  ``loomery crosscheck --calibrate`` writes;
- ``crosscheck_workers`` (1), ``crosscheck_batch`` (32), ``crosscheck_gpus`` (0).
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.job import Params
from engine.models import loaders
from engine.stage import Resources, Stage
from recaption.crosscheck.models import resolve
from recaption.crosscheck.stage import CrossCheck

DEFAULT_VERIFIERS = ["clip", "ocr", "alt_text"]
_ROLES = {"clip": "clip", "detector": "detector"}


def stages_for(params: Params, *, documents: bool = False, notes: list[str] | None = None) -> list[Stage]:
    """The cross-check stage for a job, or [] (with a line appended to ``notes``) when off."""
    notes = notes if notes is not None else []
    mode = (params.str("crosscheck", "auto") or "auto").lower()
    mode = {"1": "true", "yes": "true", "on": "true", "0": "false", "no": "false", "off": "false"}.get(mode, mode)
    if mode not in ("auto", "true", "false"):
        raise ValueError(f"--param crosscheck={mode!r}: use auto, true or false")
    if mode == "false":
        notes.append("crosscheck: off (--param crosscheck=false)")
        return []
    model_set = params.str("models", "default") or "default"
    verifiers = params.list("crosscheck_verifiers") or list(DEFAULT_VERIFIERS)
    if documents and "alt_text" in verifiers:
        verifiers.remove("alt_text")
    for name in [v for v in verifiers if v in _ROLES]:
        spec = resolve(None, model_set, _ROLES[name])
        if not loaders.is_available(spec):
            if mode == "true":
                loaders.weights_dir(spec)  # raises MissingWeights, naming `loomery models pull`
            verifiers.remove(name)
            notes.append(f"crosscheck: {name} verifier left out, weights for {spec.name!r} are not here "
                         f"(loomery models pull {spec.name})")
    if not verifiers:
        notes.append("crosscheck: skipped, no verifier can run")
        return []
    thresholds_file = params.str("crosscheck_thresholds")
    gpus = params.float("crosscheck_gpus", 0.0)
    return [
        CrossCheck(
            variants=params.list("crosscheck_variants") or None,
            verifiers=verifiers,
            models=model_set,
            thresholds=json.loads(Path(thresholds_file).read_text()) if thresholds_file else None,
            keep_max=params.float("crosscheck_keep_max", 0.0),
            repair_max=params.float("crosscheck_repair_max", 0.5),
            min_words=params.int("crosscheck_min_words", 3),
            max_rounds=params.int("crosscheck_rounds", 2),
            fallback_to_alt_text=params.bool("crosscheck_fallback_alt", False),
            reject=params.bool("crosscheck_reject", True),
            resources=Resources(
                num_cpus=1,
                num_gpus=gpus,
                batch_size=params.int("crosscheck_batch", 32),
                concurrency=params.int("crosscheck_workers", 1),
            ),
        )
    ]
