"""`loomery report DIR -o report.html`: one self-contained HTML page about a run's output."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    """Add the ``report`` subcommand."""
    p = subparsers.add_parser(
        "report", help="write a self-contained HTML report of an output folder",
        description="Funnel, score histograms with thresholds, what-if curves, a gallery of kept "
        "and rejected records and documents, in one HTML file with no external requests.")
    p.add_argument("dir", help="output folder of a run (holds manifest.json)")
    p.add_argument("-o", "--output", default=None,
                   help="HTML file to write (default: DIR/report.html)")
    p.add_argument("--kept", type=int, default=24, help="kept records in the gallery")
    p.add_argument("--rejected", type=int, default=24, help="rejected records in the gallery")
    p.add_argument("--documents", type=int, default=6, help="documents to render")
    p.add_argument("--seed", type=int, default=0, help="seed of the gallery's sample")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from engine.report import write_report

    out = Path(args.output) if args.output else Path(args.dir) / "report.html"
    try:
        path = write_report(args.dir, out, kept=args.kept, rejected=args.rejected,
                            documents=args.documents, seed=args.seed)
    except FileNotFoundError as e:
        print(f"loomery report: {e}", file=sys.stderr)
        return 2
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0
