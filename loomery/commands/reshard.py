"""`loomery reshard DIR --samples-per-shard N --out DIR2`: re-pack shards to a new size."""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    """Add the ``reshard`` subcommand."""
    p = subparsers.add_parser(
        "reshard", help="re-pack an output's kept samples into shards of a new size",
        description="Writes a complete new output folder (shards, sidecars, rejects, stats, "
        "manifest) with N samples per shard; the input folder is left unchanged.")
    p.add_argument("dir", help="output folder of a run (holds manifest.json)")
    p.add_argument("--samples-per-shard", type=int, required=True, metavar="N")
    p.add_argument("--out", required=True, help="new output folder to write")
    p.add_argument("--card", action="store_true", help="also write a dataset card README.md")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from engine.output.reshard import reshard

    try:
        manifest = reshard(args.dir, args.out, args.samples_per_shard)
    except (FileNotFoundError, FileExistsError, ValueError) as e:
        print(f"loomery reshard: {e}", file=sys.stderr)
        return 2
    if args.card:
        from engine.output.card import write_card

        write_card(args.out)
    samples = sum(s["samples"] for s in manifest["shards"])
    print(f"wrote {len(manifest['shards'])} shards ({samples:,} samples) to {args.out}")
    return 0
