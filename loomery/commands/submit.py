"""``loomery submit JOB.py --address http://HEAD:8265 [--input ...] [--out ...] [--param ...]``"""

from __future__ import annotations

import argparse

from engine.submit import submit


def register(subparsers) -> None:
    p = subparsers.add_parser("submit", help="submit a job file to a Ray cluster (Ray Jobs API)")
    p.add_argument("job", help="a job file inside the project, or a ready-made job's name")
    p.add_argument("--address", required=True, help="the cluster's dashboard, e.g. http://HEAD:8265")
    p.add_argument("--input", action="append", required=True, help="input the cluster can read (repeatable)")
    p.add_argument("--out", required=True, help="output folder the cluster can write")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a job param (repeatable); `loomery describe JOB` lists them")
    p.add_argument("--workers", type=int, default=None, help="most tasks/actors at once per stage")
    p.add_argument("--submission-id", default=None, help="a name for the submission (default: generated)")
    p.add_argument("--no-wait", action="store_true", help="print the submission id and return at once")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                   help="an environment variable for the job's processes (repeatable), e.g. LOOMERY_MODEL_CACHE=DIR")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    env = {}
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"loomery submit: --env {item!r} is not KEY=VALUE")
        env[key] = value
    return submit(args.address, args.job, args.input, args.out, args.param, workers=args.workers,
                  wait=not args.no_wait, submission_id=args.submission_id, env=env)
