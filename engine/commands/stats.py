"""``loomery stats DIR [--json]``"""

from __future__ import annotations

import argparse
import json

from engine.stats_table import format_stats, load_stats


def register(subparsers) -> None:
    p = subparsers.add_parser("stats", help="show a finished output folder's counts per stage")
    p.add_argument("out", help="output folder")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps(load_stats(args.out), indent=2))
    else:
        print(format_stats({}, args.out))
    return 0
