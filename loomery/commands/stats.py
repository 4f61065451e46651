"""``loomery stats DIR [--json]``

Its score percentiles stay exact (``score_percentiles`` reads every sidecar's score columns and
the rejects), unlike the card's, which come from the run's merged KLL sketches: this command runs
only when someone asks, and it also gives ``with_rejects`` percentiles and score columns no stage
declared, which the sketches do not hold. On a very large output expect it to take O(records).
"""

from __future__ import annotations

import argparse
import json

from engine.output.rights import rights_lines, rights_summary
from engine.output.stats import format_percentiles, format_stats, load_stats, score_percentiles


def register(subparsers) -> None:
    p = subparsers.add_parser("stats", help="show a finished output folder's counts per stage")
    p.add_argument("out", help="output folder")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    scores = score_percentiles(args.out)
    if args.json:
        stats = load_stats(args.out)
        stats["percentiles"] = scores["percentiles"]
        stats["pass_rates"] = scores["pass_rates"]
        stats["rights"] = rights_summary(args.out)
        print(json.dumps(stats, indent=2, default=str))
    else:
        print(format_stats(args.out))
        print(format_percentiles(scores))
        print("\n".join(rights_lines(rights_summary(args.out))))
    return 0
