"""The finished output folder (DESIGN.md "Outputs"): everything that reads one after a run.

``folder`` reads it (manifest, stats, sidecars, rejects, samples); ``verify`` checks it against
its manifest; ``reshard`` re-packs it; ``card``, ``card_hf`` and ``card_examples`` write its
dataset card; ``stats``, ``scores`` and ``rights`` summarise it; ``loader``, ``loader_policy`` and
``loader_checks`` feed it to training. The runner writes the folder and, last, its card; the HTML
report (``engine.report``) sits above this package and is never loaded by a run.

Nothing is imported here, so that ``import engine.output.card`` loads neither torch nor webdataset.
"""
