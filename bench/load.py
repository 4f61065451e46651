"""Load: ``--records`` URLs through ``jobs/pairs.py`` from a loopback site, with bounded memory.

    .venv/bin/python bench/load.py [--records 200000] [--baseline-records 20000]

The site (bench/site.py) serves distinct generated JPEGs of 96-256 px with varied captions, so
neither exact nor near-duplicate removal eats the corpus. Each size runs ``loomery run pairs`` in
a child process with an embedded Ray (``--workers`` CPUs, object store capped by
``LOOMERY_OBJECT_STORE_MB``, its own temp dir), and reports records/s end to end (Ray start
included), peak memory (PSS) of the driver, of the Ray workers and of Ray's daemons, the object
store's spill (cumulative, polled from the raylet), and checks the output with ``loomery
verify`` and ``kept + rejected == inputs``. The ``--baseline-records`` run is the named baseline
of the same run: memory at ``--records`` must stay within ``--max-growth`` of it.

Model stages: NSFW and faces run by default in the pairs job but hold a 2-CPU run to a few
records/s (the nsfw row of BENCHMARKS.md), so they are off here (``--param nsfw=off faces=off``;
``--param nsfw=true --param faces=blur`` puts them back, at a smaller ``--records``); language, PII
and toxicity run; CLIP is skipped by the job itself where its weights are absent. Prints one JSON
line; each run's figures also go to stderr as it ends.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import suppress
from pathlib import Path

import psutil
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import PeakRss, emit  # noqa: E402
from bench.site import VERSION, LoopbackServer, caption, make_pack  # noqa: E402

MB = 2**20


def write_lists(folder: Path, port: int, count: int, files: int) -> Path:
    """``count`` URLs of distinct images with their captions, as ``files`` Parquet files."""
    folder.mkdir(parents=True, exist_ok=True)
    per_file = -(-count // files)
    for n, start in enumerate(range(0, count, per_file)):
        ids = range(start, min(start + per_file, count))
        pq.write_table(pa.table({"url": [f"http://127.0.0.1:{port}/img/{i}.jpg" for i in ids],
                                 "caption": [caption(i) for i in ids]}), folder / f"urls-{n:03d}.parquet")
    return folder


# Polls the raylet in its own process: Ray's GCS client ends the process it runs in when the GCS
# goes away, as it does at the end of every run.
POLL = """
import json, sys, time
from ray._private.authentication.authentication_token_setup import maybe_enable_token_auth_if_token_available
from ray._private.internal_api import get_memory_info_reply, get_state_from_address
maybe_enable_token_auth_if_token_available(warn_if_disabled=False)  # ray.init() turned token auth on
state = get_state_from_address(sys.argv[1])
while True:
    try:
        s = get_memory_info_reply(state, timeout_seconds=10).store_stats
    except AssertionError:  # the raylet runs but has not registered yet
        pass
    else:
        print(json.dumps([s.spilled_bytes_total, s.spilled_objects_total, s.restored_bytes_total,
                          s.object_store_bytes_used]), flush=True)
    time.sleep(float(sys.argv[2]))
"""


class SpillWatch:
    """The object store's cumulative stats, from the raylet under ``pid`` (its command line names
    the GCS address): spilled/restored bytes and objects, and the peak of bytes in use."""

    def __init__(self, pid: int, interval: float = 2.0):
        self.pid, self.interval = pid, interval
        self.stats = {"spilled_bytes": 0, "spilled_objects": 0, "restored_bytes": 0, "store_peak_bytes": 0,
                      "polls": 0}
        self._stop = threading.Event()
        self._poller: subprocess.Popen | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _gcs_address(self) -> str | None:
        with suppress(psutil.Error):
            for child in psutil.Process(self.pid).children(recursive=True):
                with suppress(psutil.Error):
                    if child.name() == "raylet":
                        for arg in child.cmdline():
                            if arg.startswith("--gcs-address="):
                                return arg.split("=", 1)[1]
        return None

    def _run(self) -> None:
        address = None
        while address is None:
            if self._stop.wait(0.5):
                return
            address = self._gcs_address()
        self._poller = subprocess.Popen([sys.executable, "-c", POLL, address, str(self.interval)],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        s = self.stats
        for line in self._poller.stdout:
            spilled, objects, restored, used = json.loads(line)
            s["spilled_bytes"], s["spilled_objects"] = max(s["spilled_bytes"], spilled), max(s["spilled_objects"],
                                                                                              objects)
            s["restored_bytes"] = max(s["restored_bytes"], restored)
            s["store_peak_bytes"] = max(s["store_peak_bytes"], used)
            s["polls"] += 1

    def __enter__(self) -> SpillWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        while self._thread.is_alive():  # the poller may start just now: kill it until the reader ends
            if self._poller is not None and self._poller.poll() is None:
                self._poller.kill()
            self._thread.join(0.5)
        if self._poller is not None:
            self._poller.wait()


STEP = re.compile(r"^(\d\d):(\d\d):(\d\d) INFO (?:(phase \d+/\d+): \d+ of|global step: (\S+)|(done):)")


def step_seconds(log: str, started: float) -> dict[str, int]:
    """Seconds from the start (epoch ``started``) to the first phase (``start``: Ray, planning),
    then from each phase or global step to the next, from the run's log lines."""
    t = time.localtime(started)
    marks = [(t.tm_hour * 3600 + t.tm_min * 60 + t.tm_sec, "start")]
    for line in log.splitlines():
        m = STEP.match(line)
        if m:
            h, mi, s = (int(v) for v in m.groups()[:3])
            marks.append((h * 3600 + mi * 60 + s, m.group(4) or m.group(5) or m.group(6)))
    return {label: (end - start) % 86400 for (start, label), (end, _) in zip(marks, marks[1:], strict=False)}


def run_pairs(urls: Path, count: int, out: Path, args, server: LoopbackServer) -> dict:
    """``loomery run pairs`` over ``urls`` (``count`` rows) into ``out``, measured; then ``loomery verify``."""
    ray_tmp = tempfile.mkdtemp(prefix="lld", dir="/tmp")  # short: Ray's socket paths have a length limit
    env = {**os.environ, "RAY_TMPDIR": ray_tmp, "LOOMERY_OBJECT_STORE_MB": str(args.object_store_mb),
           "RAY_DATA_DISABLE_PROGRESS_BARS": "1"}
    params = ["allow_hosts=127.0.0.1", "nsfw=off", "faces=off", *args.param]
    if args.unit_size:
        params.append(f"unit_size={args.unit_size}")
    cmd = [sys.executable, "-m", "loomery.cli", "run", "pairs", "--input", str(urls), "--out", str(out),
           "--workers", str(args.workers), *(a for p in params for a in ("--param", p))]
    log = out.with_suffix(".log")
    server_cpu = sum(psutil.Process(server.proc.pid).cpu_times()[:2])
    try:
        with open(log, "w") as err:
            start, started = time.perf_counter(), time.time()
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err, env=env)
            with PeakRss(proc.pid, interval=args.sample_s) as mem, SpillWatch(proc.pid) as spill:
                proc.wait()
            seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    if proc.returncode:
        raise RuntimeError(f"loomery run failed ({proc.returncode}):\n{log.read_text()[-3000:]}")
    server_cpu = sum(psutil.Process(server.proc.pid).cpu_times()[:2]) - server_cpu
    verify = subprocess.run([sys.executable, "-m", "loomery.cli", "-q", "verify", str(out)], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    manifest = json.loads((out / "manifest.json").read_text())
    totals = manifest["totals"]
    rejected = {f"{stage}:{reason}": n for stage, s in manifest["stages"].items()
                for reason, n in (s.get("reasons") or {}).items() if n}
    return {
        "seconds": round(seconds, 1),
        "step_seconds": step_seconds(log.read_text(), started),
        "records_per_s": round(totals["inputs"] / seconds, 1),
        "inputs": totals["inputs"], "kept": totals["kept"], "rejected": totals["rejected"],
        "accounted": totals["inputs"] == count and totals["kept"] + totals["rejected"] == count,
        "rejected_by": rejected,
        "verify_ok": verify.returncode == 0,
        "verify_tail": None if verify.returncode == 0 else (verify.stdout + verify.stderr)[-500:],
        "peak_total_mb": round(mem.peak / MB), "peak_driver_mb": round(mem.peaks["driver"] / MB),
        "peak_workers_mb": round(mem.peaks["workers"] / MB), "peak_ray_daemons_mb": round(mem.peaks["ray"] / MB),
        "sampler_cpu_s": round(mem.sample_cpu_s, 1),
        # cumulative, polled every 2 s: spills in a run's last 2 s may be missed; None when never polled
        "spilled_mb": round(spill.stats["spilled_bytes"] / MB, 1) if spill.stats["polls"] else None,
        "spilled_objects": spill.stats["spilled_objects"] if spill.stats["polls"] else None,
        "restored_mb": round(spill.stats["restored_bytes"] / MB, 1),
        "store_peak_mb": round(spill.stats["store_peak_bytes"] / MB, 1), "spill_polls": spill.stats["polls"],
        "server_cpu_share": round(server_cpu / seconds, 3),
        "global_step_buckets": {p["emits"]: p["buckets"] for p in manifest["phases"] if p.get("emits")},
        "notes": manifest.get("notes", []),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--baseline-records", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--unit-size", type=int, default=0, help="0: the job's default")
    ap.add_argument("--list-files", type=int, default=8, help="Parquet files per URL list")
    ap.add_argument("--object-store-mb", type=int, default=512)
    ap.add_argument("--max-growth", type=float, default=0.25, help="bound on peak memory growth, baseline to records")
    ap.add_argument("--sample-s", type=float, default=1.0, help="memory sampling interval (PSS reads cost CPU)")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / f"loomery-bench-site-v{VERSION}"))
    ap.add_argument("--param", action="append", default=[], help="more job parameters key=value (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the outputs (default: removed after checking)")
    args = ap.parse_args()

    start = time.perf_counter()
    pack = make_pack(Path(args.cache), max(args.records, args.baseline_records))
    pack_s = time.perf_counter() - start
    runs = {}
    with tempfile.TemporaryDirectory(prefix="loomery-load-") as tmp:
        work = Path(tmp)
        server = LoopbackServer(pack, work)
        try:
            for label, count in (("baseline", args.baseline_records), ("ours", args.records)):
                urls = write_lists(work / f"urls-{count}", server.port, count, args.list_files)
                out = work / f"out-{count}"
                runs[label] = run_pairs(urls, count, out, args, server)
                print(json.dumps({label: runs[label]}), file=sys.stderr, flush=True)
                if not args.keep:
                    shutil.rmtree(out, ignore_errors=True)
        finally:
            server.close()
        if args.keep:
            kept = Path(tempfile.mkdtemp(prefix="loomery-load-kept-"))
            for out in work.glob("out-*"):
                shutil.move(out, kept / out.name)
            print(f"outputs kept in {kept}", file=sys.stderr)
    ours, base = runs["ours"], runs["baseline"]
    growth = {k: round(ours[f"peak_{k}_mb"] / max(base[f"peak_{k}_mb"], 1) - 1, 3)
              for k in ("total", "driver", "workers", "ray_daemons")}
    emit(
        bench="load",
        unit="records/s (URL list -> fetch -> resize -> filters -> dedup -> shards, Ray start included)",
        records=args.records, baseline_records=args.baseline_records,
        ours=ours["records_per_s"], baseline=base["records_per_s"],
        baseline_name=f"the same job over {args.baseline_records} records, same run",
        ratio=round(ours["records_per_s"] / base["records_per_s"], 3),
        memory_growth=growth, memory_bounded=growth["total"] <= args.max_growth,
        all_accounted=ours["accounted"] and base["accounted"], all_verified=ours["verify_ok"] and base["verify_ok"],
        workers=args.workers, object_store_mb=args.object_store_mb, unit_size=args.unit_size or "job default",
        params=" ".join(["allow_hosts=127.0.0.1", "nsfw=off", "faces=off", *args.param]), pack_seconds=round(pack_s, 1),
        runs=runs,
    )


if __name__ == "__main__":
    main()
