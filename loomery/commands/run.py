"""``loomery run JOB.py --input PATH --out DIR [--param key=value ...]``"""

from __future__ import annotations

import argparse

from engine.jobfile import build_job
from engine.output.stats import format_stats
from engine.params import Params
from engine.runner import run_job
from loomery.cli import add_verbose_option


def register(subparsers) -> None:
    p = subparsers.add_parser("run", help="run a job file over inputs into an output folder", add_help=False)
    p.add_argument("-h", "--help", action=JobHelp, nargs=0, help="show this help, and the job's params "
                   "when it follows the job (loomery run pairs --help)")
    p.add_argument("job", help="a job file (jobs/pairs.py) or a ready-made job's name (pairs)")
    p.add_argument("--input", action="append", required=True, help="input path or URL (repeatable)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a job param (repeatable); `loomery describe JOB` lists them")
    add_cluster_options(p)
    add_verbose_option(p)
    p.set_defaults(func=main)


class JobHelp(argparse.Action):
    """``--help``: the command's help, then the params the job declares (when it is named first)."""

    def __call__(self, parser, namespace, values, option_string=None):
        parser.print_help()
        job = getattr(namespace, "job", None)
        if job:
            from loomery.commands.describe import params_lines

            try:
                print("\n" + "\n".join(params_lines(job)))
            except (FileNotFoundError, AttributeError, ImportError) as error:
                parser.exit(2, f"loomery run: error: {error}\n")
        parser.exit()


def add_cluster_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--address", default=None,
                   help="join a running Ray cluster (auto, or HOST:PORT); default: embedded local Ray")
    p.add_argument("--workers", type=int, default=None,
                   help="most tasks/actors at once per stage (and CPUs of the embedded Ray); "
                        "default: as many as the cluster's CPUs allow")


def main(args: argparse.Namespace) -> int:
    params = Params.parse(args.param)
    job = build_job(args.job, args.input, args.out, params)
    run_job(job, address=args.address, workers=args.workers, params=params.as_dict())
    print(format_stats(args.out))
    return 0
