"""Crawl benchmark: images/s of ``jobs/pairs.py`` against img2dataset's ``download()`` on the
same list of photo-like 1024x768 JPEGs, served by one loopback server, same resize settings,
same run; then our peak RSS while crawling a long URL list.

The ``small-http`` and ``small-https`` cases crawl many small images (96-256 px JPEGs of
``bench/site.py``) from one keep-alive loopback server, over plain HTTP and over HTTPS (a test
CA made with openssl): the pairs job against img2dataset ``download()``, and the fetcher alone
against a bare pooled aiohttp loop (``bench/fetch_loops.py``), same list, same run, peak memory
beside each; each loop crawls the list twice on one session (the first pass includes making the
session, the second is warm), runs ``--loop-repeats`` times alternated, and the best of each is
kept, by the wall clock and by CPU time per image. The job runs without the model stages and
dedup (``--job-params``), so that it does what img2dataset does: fetch, resize, write shards
(plus cheap filters and language id).

    python bench/crawl.py [--cases photos,small-http,small-https] [--images 2000]
                          [--small-images 3000] [--rss-urls 50000] [--workers 2]

img2dataset runs as a subprocess from its own virtual environment (``--baseline-python``,
default ``.venv-bench/bin/python``; make it with ``uv venv .venv-bench && uv pip install
--python .venv-bench/bin/python img2dataset==1.47.0``). Prints one JSON line at the end.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import PeakRss  # noqa: E402
from bench.site import LoopbackServer  # noqa: E402


def photo(seed: int, width: int = 1024, height: int = 768) -> bytes:
    """A photo-like JPEG: smooth gradients, a few filled shapes, sensor-like noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    g = (np.cos(angle) * x + np.sin(angle) * y) / (width + height)
    base = np.stack([g * rng.uniform(80, 255), (1 - g) * rng.uniform(80, 255),
                     np.full_like(g, rng.uniform(0, 255))], -1)
    for _ in range(6):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        rx, ry = rng.uniform(20, width / 4), rng.uniform(20, height / 4)
        base[((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 < 1] = rng.uniform(0, 255, 3)
    base += rng.normal(0, 8, base.shape).astype(np.float32)
    out = io.BytesIO()
    Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue()


def make_images(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"{i:06d}.jpg"
        if not path.exists():
            path.write_bytes(photo(i))
        paths.append(path)
    return paths


# ---- the two crawlers

BASELINE = """
import json, sys, time, glob
from img2dataset import download
a = json.loads(sys.argv[1])
t = time.perf_counter()
download(url_list=a["list"], input_format="parquet", url_col="url", caption_col="caption",
         output_folder=a["out"], output_format="webdataset", image_size=a["size"],
         resize_mode=a["mode"], encode_format="jpg", encode_quality=95,
         processes_count=a["workers"], thread_count=a["threads"], number_sample_per_shard=1000,
         timeout=30, retries=0, enable_wandb=False)
elapsed = time.perf_counter() - t
ok = 0
for f in glob.glob(a["out"] + "/*_stats.json"):
    ok += json.load(open(f))["successes"]
print(json.dumps({"seconds": elapsed, "ok": ok}))
"""


def run_baseline(python: str, url_list: Path, out: Path, args, ca_file: str | None = None) -> dict:
    spec = {"list": str(url_list), "out": str(out), "size": args.image_size,
            "mode": args.resize_mode, "workers": args.workers, "threads": args.threads}
    env = {**os.environ, "NO_ALBUMENTATIONS_UPDATE": "1", "WANDB_MODE": "disabled"}
    if ca_file:  # urllib's default context trusts the test CA through OpenSSL's variable
        env["SSL_CERT_FILE"] = ca_file
    return run_measured([python, "-c", BASELINE, json.dumps(spec)], "img2dataset", env=env,
                        stderr=subprocess.DEVNULL)


def run_measured(cmd: list[str], what: str, **popen) -> dict:
    """Run a bench subprocess; its last stdout line (JSON) plus its peak memory (``peak_rss_mb``)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, **popen)
    with PeakRss(proc.pid) as rss:
        stdout, _ = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed with exit code {proc.returncode}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["peak_rss_mb"] = rss.peak / 2**20
    return result


def run_ours(url_list: Path, out: Path, args, extra: dict | None = None) -> dict:
    from engine.job import Params
    from engine.jobfile import build_job
    from engine.runner import run_job

    params = Params({
        "allow_hosts": "127.0.0.1", "image_size": str(args.image_size),
        "resize_mode": args.resize_mode, "unit_size": str(args.unit_size),
        "concurrency": str(args.threads), "fetch_workers": str(args.workers),
        **dict(kv.split("=", 1) for kv in args.job_params.split(",") if kv), **(extra or {}),
    })
    with PeakRss(os.getpid()) as rss:
        started = time.perf_counter()
        manifest = run_job(build_job("pairs", [str(url_list)], str(out), params), workers=args.workers)
        elapsed = time.perf_counter() - started
    kept = manifest["totals"]["kept"]
    return {"seconds": elapsed, "ok": kept, "peak_rss_mb": rss.peak / 2**20}


def write_list(path: Path, port: int, count: int, files: int) -> None:
    urls = [f"http://127.0.0.1:{port}/img/{i % files:06d}.jpg?u={i}" for i in range(count)]
    pq.write_table(pa.table({"url": urls, "caption": [f"a photo number {i}" for i in
                                                        range(count)]}), path)


def run_loop(mode: str, urls: list[str], work: Path, args, ca_file: str | None) -> dict:
    """``bench/fetch_loops.py`` in a process of its own: images/s and that process's peak."""
    url_file = work / f"urls-{mode}.txt"
    url_file.write_text("\n".join(urls))
    cmd = [sys.executable, str(ROOT / "bench" / "fetch_loops.py"), mode, str(url_file),
           str(args.threads), str(args.per_host)] + ([ca_file] if ca_file else [])
    return run_measured(cmd, f"fetch loop {mode}")


def make_tls(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (it is its own CA): (cert, key)."""
    cert, key = folder / "site.pem", folder / "site.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def rate(run: dict) -> float:
    return run["ok"] / run["seconds"]


def cpu_ms(run: dict) -> float:
    """CPU milliseconds per image of a fetch loop's process (the least of its repeats)."""
    return run.get("least_cpu_ms") or round(1000 * run["cpu_s"] / run["ok"], 3)


def small_case(scheme: str, work: Path, args) -> tuple[dict, Callable[[], None]]:
    """Runs what needs no Ray now (img2dataset, both fetch loops); returns them and a function
    that runs the pairs job once Ray is up."""
    from bench.site import caption, make_pack

    pack = make_pack(Path(args.cache) / "small", args.small_images)
    tls = make_tls(work) if scheme == "https" else None
    ca_file = str(tls[0]) if tls else None
    server = LoopbackServer(pack, work, tls=tls)
    urls = [f"{scheme}://127.0.0.1:{server.port}/img/{i}.jpg" for i in range(args.small_images)]
    url_list = work / f"small-{scheme}.parquet"
    pq.write_table(pa.table({"url": urls, "caption": [caption(i) for i in range(len(urls))]}),
                   url_list)
    try:
        runs = {"img2dataset": run_baseline(args.baseline_python, url_list, work / f"i2d-{scheme}",
                                            args, ca_file)}
        pairs: dict[str, list[float]] = {"first": [], "warm": []}  # ours / bare, per repeat
        for _ in range(args.loop_repeats):  # alternated; the best of each kept (a shared machine)
            pair = {}
            for name, mode in (("fetch", "ours"), ("bare", "bare")):
                run = run_loop(mode, urls, work, args, ca_file)
                warm = {k.removeprefix("warm_"): v for k, v in run.items() if k.startswith("warm_")}
                warm["peak_rss_mb"] = run["peak_rss_mb"]
                pair[name] = run, warm
                for key, this in ((name, run), (f"{name}_warm", warm)):
                    least = min(cpu_ms(this), runs[key]["least_cpu_ms"]) if key in runs else cpu_ms(this)
                    if key not in runs or rate(this) > rate(runs[key]):
                        runs[key] = this
                    runs[key]["least_cpu_ms"] = least
            for i, which in enumerate(("first", "warm")):
                pairs[which].append(rate(pair["fetch"][i]) / rate(pair["bare"][i]))
        runs["pair_ratios"] = pairs
    except BaseException:
        server.close()
        raise

    def job() -> None:
        extra = {"per_host_concurrency": str(args.per_host)}
        if ca_file:
            extra["ca_file"] = ca_file
        try:
            runs["job"] = run_ours(url_list, work / f"ours-{scheme}", args, extra)
        finally:
            server.close()

    return runs, job


def small_summary(scheme: str, runs: dict, args) -> dict:
    pairs = runs.pop("pair_ratios")
    return {
        "case": f"small-{scheme}", "images": args.small_images,
        "job_images_per_s": round(rate(runs["job"]), 1),
        "img2dataset_images_per_s": round(rate(runs["img2dataset"]), 1),
        "job_vs_img2dataset": round(rate(runs["job"]) / rate(runs["img2dataset"]), 2),
        "fetch_images_per_s": round(rate(runs["fetch"]), 1),
        "bare_aiohttp_images_per_s": round(rate(runs["bare"]), 1),
        "fetch_vs_bare_aiohttp": round(rate(runs["fetch"]) / rate(runs["bare"]), 3),
        "fetch_cpu_ms_per_image": cpu_ms(runs["fetch"]),
        "bare_cpu_ms_per_image": cpu_ms(runs["bare"]),
        "fetch_vs_bare_aiohttp_cpu": round(cpu_ms(runs["bare"]) / cpu_ms(runs["fetch"]), 3),
        # the second pass of each loop on its warm session: what a long-running worker pays
        "warm_fetch_images_per_s": round(rate(runs["fetch_warm"]), 1),
        "warm_bare_aiohttp_images_per_s": round(rate(runs["bare_warm"]), 1),
        "warm_fetch_vs_bare_aiohttp": round(rate(runs["fetch_warm"]) / rate(runs["bare_warm"]), 3),
        "warm_fetch_cpu_ms_per_image": cpu_ms(runs["fetch_warm"]),
        "warm_bare_cpu_ms_per_image": cpu_ms(runs["bare_warm"]),
        "warm_fetch_vs_bare_aiohttp_cpu": round(cpu_ms(runs["bare_warm"])
                                                / cpu_ms(runs["fetch_warm"]), 3),
        # each repeat's ours/bare ratio of two runs back to back, the median of the repeats:
        # steadier than the best of each on a machine whose load changes between runs
        "fetch_vs_bare_aiohttp_median_pair": round(statistics.median(pairs["first"]), 3),
        "warm_fetch_vs_bare_aiohttp_median_pair": round(statistics.median(pairs["warm"]), 3),
        "ok": {name: run["ok"] for name, run in runs.items()},
        "peak_rss_mb": {name: round(run["peak_rss_mb"]) for name, run in runs.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="photos,small-http,small-https")
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--small-images", type=int, default=3000,
                    help="images of the small cases (3,000: a 1,000-image job lasts a few seconds, "
                         "which fixed costs dominate)")
    ap.add_argument("--rss-urls", type=int, default=50_000, help="0 skips the RSS run")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=64, help="requests in flight per worker")
    ap.add_argument("--per-host", type=int, default=16,
                    help="per-host bound of the small cases (fetcher and bare loop alike)")
    ap.add_argument("--job-params", default="nsfw=off,faces=off,pii=off,toxicity=false,dedup=false",
                    help="pairs job params: by default the model stages and dedup, which "
                         "img2dataset does not do, are off (fetch, resize, cheap filters, "
                         "language, shards remain)")
    ap.add_argument("--loop-repeats", type=int, default=5,
                    help="runs of each fetch loop (alternated, best kept)")
    ap.add_argument("--image-size", type=int, default=256)
    ap.add_argument("--resize-mode", default="border")
    ap.add_argument("--unit-size", type=int, default=500)
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "loomery-bench-photos"))
    ap.add_argument("--baseline-python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    args = ap.parse_args()
    cases = set(args.cases.split(","))

    import ray

    with tempfile.TemporaryDirectory(prefix="loomery-bench-") as tmp:
        work = Path(tmp)
        pending = [(scheme, *small_case(scheme, work, args)) for scheme in ("http", "https")
                   if f"small-{scheme}" in cases]
        ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR", configure_logging=False)
        try:
            if pending:  # a small untimed job first: every timed job then finds warm workers
                warm = work / "warm.parquet"
                pq.write_table(pq.read_table(work / f"small-{pending[0][0]}.parquet").slice(0, 20),
                               warm)
                extra = {"per_host_concurrency": str(args.per_host)}
                if pending[0][0] == "https":
                    extra["ca_file"] = str(work / "site.pem")
                run_ours(warm, work / "ours-warm", args, extra)
            for _scheme, _runs, job in pending:
                job()
        finally:
            ray.shutdown()
        for scheme, runs, _job in pending:
            print(json.dumps({"bench": "crawl", **small_summary(scheme, runs, args)}))
        if "photos" in cases:
            photos_case(work, args)


def photos_case(work: Path, args) -> None:
    import ray

    photos = Path(args.cache) / "1024x768"
    make_images(photos, args.images)
    server = LoopbackServer(photos, work)
    try:
        url_list = work / "urls.parquet"
        write_list(url_list, server.port, args.images, args.images)
        base = run_baseline(args.baseline_python, url_list, work / "i2d", args)
        ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR", configure_logging=False)
        ours = run_ours(url_list, work / "ours", args)
        rss = None
        if args.rss_urls:
            big = work / "big.parquet"
            write_list(big, server.port, args.rss_urls, args.images)
            rss = run_ours(big, work / "ours-big", args)
        ray.shutdown()
    finally:
        server.close()
    ours_rate = ours["ok"] / ours["seconds"]
    base_rate = base["ok"] / base["seconds"]
    print(json.dumps({
        "bench": "crawl",
        "metric": "images/s (fetch + resize + shards), higher is better",
        "ours": round(ours_rate, 1),
        "baseline": round(base_rate, 1),
        "baseline_name": "img2dataset 1.47.0 download()",
        "ratio": round(ours_rate / base_rate, 3),
        "images": args.images, "ours_ok": ours["ok"], "baseline_ok": base["ok"],
        "workers": args.workers, "threads": args.threads,
        "image_size": args.image_size, "resize_mode": args.resize_mode,
        "ours_peak_rss_mb": round(ours["peak_rss_mb"]),
        "baseline_peak_rss_mb": round(base["peak_rss_mb"]),
        "rss_urls": args.rss_urls,
        "rss_run_peak_rss_mb": round(rss["peak_rss_mb"]) if rss else None,
        "rss_run_images_per_s": round(rss["ok"] / rss["seconds"], 1) if rss else None,
    }))


if __name__ == "__main__":
    main()
