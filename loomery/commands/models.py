"""``loomery models list`` and ``loomery models pull NAME ...``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def register(subparsers) -> None:
    """Add the ``models`` command with its ``list`` and ``pull`` subcommands."""
    parser = subparsers.add_parser("models", help="list registered models, pull weights")
    sub = parser.add_subparsers(dest="models_command", required=True)

    listing = sub.add_parser("list", help="registered models and whether their weights are here")
    listing.add_argument("--cache-dir", type=Path, help="model cache (default $LOOMERY_MODEL_CACHE)")
    listing.set_defaults(func=run_list)

    pulling = sub.add_parser("pull", help="prefetch weights into the model cache")
    pulling.add_argument("names", nargs="+", metavar="NAME")
    pulling.add_argument("--cache-dir", type=Path, help="model cache (default $LOOMERY_MODEL_CACHE)")
    pulling.add_argument(
        "--from",
        dest="origin",
        type=Path,
        help="copy from this local folder laid out like the hub (ORG/REPO or NAME) instead",
    )
    pulling.set_defaults(func=run_pull)


# The stage packages' modules that register their models (the registry in engine.models lists
# none itself): the filters' CLIP and OCR, the safety detectors, captioners and verifiers.
CATALOGS = ("filters.models", "filters.safety.models", "recaption.models", "recaption.crosscheck.models")


def load_catalogs() -> None:
    """Register every known model, so that list and pull see them all."""
    import importlib

    for name in CATALOGS:
        try:
            importlib.import_module(name)
        except ImportError as error:  # a package left out of a slim install
            print(f"models: {name} not loaded ({error})", file=sys.stderr)


def run_list(args: argparse.Namespace) -> int:
    _use_cache_dir(args.cache_dir)
    load_catalogs()
    from engine.models import loaders, registry

    sets = registry.model_sets()
    rows = [("NAME", "KIND", "SOURCE", "REVISION", "RANDOM_INIT", "IN_CACHE", "ROLES")]
    for name in registry.names():
        spec = registry.get(name)
        if spec.random_init:
            here = "n/a (random)"
        elif spec.kind == "bundled":
            here = "bundled" if loaders.is_available(spec) else "no (package missing)"
        else:
            here = "yes" if loaders.is_available(spec) else "no"
        roles = ",".join(
            f"{s}:{role}" for s, mapping in sorted(sets.items()) for role, n in mapping.items() if n == name
        )
        rows.append((name, spec.kind, spec.source, spec.revision or "-", str(spec.random_init), here, roles or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def run_pull(args: argparse.Namespace) -> int:
    _use_cache_dir(args.cache_dir)
    load_catalogs()
    from engine.models import registry
    from engine.models.pull import PullError, pull

    failed = 0
    for name in args.names:
        try:
            print(pull(registry.get(name), origin=args.origin))
        except (KeyError, PullError, OSError) as err:
            print(f"error: {name}: {err}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def _use_cache_dir(path: Path | None) -> None:
    if path is not None:
        os.environ["LOOMERY_MODEL_CACHE"] = str(path)
