"""Subcommands of ``loomery``: each module defines ``register(subparsers)``.

:data:`COMMANDS` lists them with the one-line help ``loomery --help`` shows, so that the command
line imports only the module of the command it runs: ``run``, ``demo``, ``describe`` and
``submit`` import Ray and the runner, ``stats`` and ``verify`` pyarrow (~0.2-0.8 CPU-s each).
A module missing here is still found and imported (``tests/unit/test_cli_registry.py`` checks
that the table names every module with the help its ``register`` gives).
"""

COMMANDS = {
    "crosscheck": "check labelled captions claim by claim and report CHAIR",
    "dedup": "find near-duplicate texts (MinHash LSH) in a collection",
    "demo": "generate a small web site and crawl, filter and shard it",
    "describe": "print a job's phases, stages, resources and params",
    "models": "list registered models, pull weights",
    "recaption": "list caption prompts, try a captioner",
    "report": "write a self-contained HTML report of an output folder",
    "reshard": "re-pack an output's kept samples into shards of a new size",
    "run": "run a job file over inputs into an output folder",
    "stats": "show a finished output folder's counts per stage",
    "submit": "submit a job file to a Ray cluster (Ray Jobs API)",
    "verify": "re-read every shard and check it against the manifest",
}
