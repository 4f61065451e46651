"""``loomery verify DIR``: exit 1 when the output folder disagrees with its manifest."""

from __future__ import annotations

import argparse

from engine.output.verify import verify_output


def register(subparsers) -> None:
    p = subparsers.add_parser("verify", help="re-read every shard and check it against the manifest")
    p.add_argument("out", help="output folder")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    problems = verify_output(args.out)
    for problem in problems:
        print(f"MISMATCH {problem}")
    if problems:
        print(f"verify: {len(problems)} problem(s) in {args.out}")
        return 1
    print(f"verify: {args.out} matches its manifest")
    return 0
