"""``loomery demo --out DIR``: the main jobs end to end on generated data, offline.

Generates a small corpus with bad records among the good and serves it as a web site on
127.0.0.1 (an ephemeral port, allowlisted for this run only). Then it crawls the site's URL list
with ``jobs/pairs.py`` and turns a WARC of generated article pages into interleaved documents
with ``jobs/docs.py``, fetching their images from the same site.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from engine.job import Params
from engine.jobfile import build_job
from engine.output.stats import format_stats
from engine.runner import run_job
from loomery.cli import add_verbose_option
from loomery.demo.corpus import make_records
from loomery.demo.documents import write_documents
from loomery.demo.site import serve, write_site, write_url_list

PAIRS = ["allow_hosts=127.0.0.1", "min_side=64", "max_aspect=3", "min_words=2", "unit_size=50",
         "samples_per_shard=100"]
DOCS = ["allow_hosts=127.0.0.1", "unit_size=10", "samples_per_shard=50", "min_words=30"]
SHARED_PARAMS = ("models", "recaption", "crosscheck", "clip", "dedup", "blocklist", "pii", "toxicity")  # both jobs


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="generate a small web site and crawl, filter and shard it")
    p.add_argument("--out", required=True, help="output folder (the generated site goes in OUT/site)")
    p.add_argument("--records", type=int, default=300, help="image-text records to generate")
    p.add_argument("--pages", type=int, default=40, help="article pages to generate")
    p.add_argument("--param", action="append", default=[],
                   help="pairs job parameter key=value; models, recaption*, crosscheck*, clip*, dedup*, "
                        "blocklist*, pii, toxicity* also go to the docs job (models=test-tiny runs the "
                        "model stages with tiny random models)")
    p.add_argument("--workers", type=int, default=None, help="most tasks/actors at once per stage; "
                   "default: as many as the CPUs allow")
    add_verbose_option(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    out = Path(args.out)
    site, pairs_out, docs_out = out / "site", out / "pairs", out / "docs"
    with serve(site if site.exists() else _mkdir(site)) as base_url:
        print(f"demo: serving {site} at {base_url}")
        if _needs_run(pairs_out):
            entries = write_site(make_records(args.records), site)
            write_url_list(entries, base_url, out / "urls.parquet")
            print(f"demo: crawling {len(entries)} URLs of {args.records} records with jobs/pairs.py")
        _run("pairs", out / "urls.parquet", pairs_out, PAIRS + args.param, args.workers)
        if _needs_run(docs_out):
            write_documents(site, base_url, out / "pages.warc.gz", args.pages)
            print(f"demo: extracting {args.pages} pages of {out / 'pages.warc.gz'} with jobs/docs.py")
        shared = [p for p in args.param if p.split("=", 1)[0].startswith(SHARED_PARAMS)]
        _run("docs", out / "pages.warc.gz", docs_out, DOCS + shared, args.workers)
    print(f"demo: check the shards with `loomery verify {pairs_out}`; look at them with "
          f"`loomery report {pairs_out} -o {out / 'report.html'}`")
    return 0


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _needs_run(result: Path) -> bool:
    """True unless ``result`` holds a finished run. An unfinished one is removed: its inputs
    named the previous run's port."""
    if (result / "manifest.json").exists():
        return False
    shutil.rmtree(result, ignore_errors=True)
    return True


def _run(job_name: str, inputs: Path, result: Path, params: list[str], workers: int | None) -> None:
    parsed = Params.parse(params)
    run_job(build_job(job_name, [str(inputs)], str(result), parsed), workers=workers,
            params=parsed.as_dict())
    print(f"\n== {job_name} ==")
    print(format_stats(result))
