"""Records/s of a job with the cheap filters against a plain single-process loop, and peak RSS.

    .venv/bin/python bench/pipeline.py [--records 20000] [--rss-records 200000] [--workers 2]

``ratio`` is at ``--records``; ``ratio_big`` at ``--rss-records``, the loop run on that corpus too.

Both sides read the same Parquet files, check the same conditions (header pixel count and
format, decode, min side 64, aspect <= 3, caption junk, at least 2 words, exact duplicate by
sha256) and write tar shards of the same members. "ours" is ``loomery run`` of the demo job in
a child process with an embedded Ray; its RSS is summed over the driver and every Ray process.

On a shared machine wall time moves with the others' load, so the bench also prints CPU seconds:
the loop's own, and ours summed over the whole process tree (driver, Ray daemons, workers).
``cpu_ratio`` (loop CPU / our CPU) times the workers bounds the wall-time ratio on an idle machine.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from contextlib import suppress
from pathlib import Path

import psutil
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import PeakRss, emit  # noqa: E402
from filters.captions.checks import junk_reason  # noqa: E402
from loomery.demo.corpus import draw_scene, encode  # noqa: E402


def make_corpus(folder: Path, records: int, rows_per_file: int = 5000) -> Path:
    """``records`` pairs built from 400 drawn scenes, each copy made unique by trailing bytes
    (JPEG decoders stop at the end-of-image marker), so no record is an exact duplicate."""
    import random

    if (folder / "done").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    bases = []
    for _ in range(400):
        image, caption = draw_scene(rng, (rng.choice([128, 160, 192]), rng.choice([96, 120, 144])))
        bases.append((encode(image, quality=80), caption))
    for n, start in enumerate(range(0, records, rows_per_file)):
        count = min(rows_per_file, records - start)
        images, captions = [], []
        for i in range(start, start + count):
            data, caption = bases[i % len(bases)]
            images.append(data + i.to_bytes(8, "big"))
            captions.append(caption if i % 10 else f"IMG_{i}.jpg")
        pq.write_table(pa.table({"image": images, "caption": captions}), folder / f"part-{n:04d}.parquet")
    (folder / "done").write_text("ok")
    return folder


def baseline(inputs: Path, out: Path, samples_per_shard: int) -> int:
    """The plain loop: read, check, write tar shards. Returns the number of kept records."""
    out.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    kept, shard, tar = 0, 0, None
    for file in sorted(inputs.glob("*.parquet")):
        table = pq.read_table(file)
        for row, (data, caption) in enumerate(zip(table.column("image").to_pylist(),
                                                  table.column("caption").to_pylist(), strict=True)):
            if not data or junk_reason(caption) or len((caption or "").split()) < 2:
                continue
            try:
                image = Image.open(io.BytesIO(data))
                w, h = image.size
                if image.format != "JPEG" or w * h > 89_478_485:
                    continue
                image.draft("RGB", (max(1, w // 8), max(1, h // 8)))
                image.load()
            except Exception:  # noqa: BLE001 - the baseline skips what it cannot decode
                continue
            if min(w, h) < 64 or max(w, h) / min(w, h) > 3:
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            if tar is None or kept % samples_per_shard == 0:
                if tar is not None:
                    tar.close()
                tar = tarfile.open(out / f"{shard:05d}.tar", "w")  # noqa: SIM115 -- rolls over by count
                shard += 1
            key = f"{file.stem}-{row}"
            for name, payload in ((f"{key}.jpg", data), (f"{key}.txt", caption.encode()),
                                  (f"{key}.json", json.dumps({"key": key, "caption": caption, "width": w,
                                                              "height": h, "sha256": digest}).encode())):
                info = tarfile.TarInfo(name)
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
            kept += 1
    if tar is not None:
        tar.close()
    return kept


class TreeCpu:
    """CPU seconds (user + system) used by a process and all its descendants (Ray's daemons and
    workers included), sampled every ``interval`` s: a process's last sample counts, so at most
    its final ``interval`` is missed. A measure the machine's other load does not inflate as
    much as wall time."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval, self.seen = pid, interval, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with suppress(psutil.Error):
                root = psutil.Process(self.pid)
                for proc in [root, *root.children(recursive=True)]:
                    with suppress(psutil.Error):
                        times = proc.cpu_times()
                        self.seen[proc.pid] = times.user + times.system
            self._stop.wait(self.interval)

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())

    def __enter__(self) -> TreeCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_ours(inputs: Path, out: Path, workers: int, unit_size: int, store_mb: int = 0) -> tuple[float, int, int]:
    """Time and peak tree RSS of ``loomery run`` on the demo job; returns (seconds, rss, kept).
    The CPU seconds of the whole process tree are left in ``run_ours.cpu``."""
    cmd = [sys.executable, "-m", "loomery.cli", "-q", "run", "demo", "--input", str(inputs), "--out", str(out),
           "--workers", str(workers), "--param", f"unit_size={unit_size}", "--param", "samples_per_shard=1000"]
    start = time.perf_counter()
    env = {**os.environ, **({"LOOMERY_OBJECT_STORE_MB": str(store_mb)} if store_mb else {})}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    with PeakRss(proc.pid) as rss, TreeCpu(proc.pid) as cpu:
        _, err = proc.communicate()
    run_ours.cpu = cpu.seconds
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"loomery run failed:\n{err[-3000:]}")
    kept = json.loads((out / "manifest.json").read_text())["totals"]["kept"]
    return seconds, rss.peak, kept


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rss-records", type=int, default=200_000, help="0 to skip the RSS growth run")
    parser.add_argument("--no-big-baseline", dest="big_baseline", action="store_false",
                        help="skip the single-process loop over the big corpus (no ratio_big)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--unit-size", type=int, default=2000)
    parser.add_argument("--object-store-mb", type=int, default=512,
                        help="cap on Ray's object store, a cache that otherwise fills to 30%% of memory (0: no cap)")
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "loomery-bench"))
    args = parser.parse_args(argv)
    work = Path(args.work)
    small = make_corpus(work / f"corpus-{args.records}", args.records)
    ours_s, ours_rss, ours_kept = run_ours(small, work / f"ours-{time.time_ns()}", args.workers, args.unit_size,
                                          args.object_store_mb)
    ours_cpu = run_ours.cpu
    start, start_cpu = time.perf_counter(), time.process_time()
    with PeakRss(os.getpid()) as base_rss:
        base_kept = baseline(small, work / f"baseline-{time.time_ns()}", 1000)
    base_s, base_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    result = {
        "bench": "pipeline",
        "records": args.records,
        "ours": round(args.records / ours_s, 1),
        "baseline": round(args.records / base_s, 1),
        "ratio": round(base_s / ours_s, 3),
        "unit": "records/s",
        "baseline_name": "single-process read/check/write-tar loop",
        "kept_ours": ours_kept,
        "kept_baseline": base_kept,
        "peak_rss_mb": round(ours_rss / 2**20),
        "baseline_peak_rss_mb": round(base_rss.peak / 2**20),
        "workers": args.workers,
        "object_store_mb": args.object_store_mb,
        "ours_cpu_s": round(ours_cpu, 1),
        "baseline_cpu_s": round(base_cpu, 1),
        "cpu_ratio": round(base_cpu / ours_cpu, 3),
        "load_avg_1m": round(os.getloadavg()[0], 1),
    }
    if args.rss_records:
        big = make_corpus(work / f"corpus-{args.rss_records}", args.rss_records)
        big_s, big_rss, _ = run_ours(big, work / f"ours-big-{time.time_ns()}", args.workers, args.unit_size,
                                       args.object_store_mb)
        result.update({"ours_cpu_s_big": round(run_ours.cpu, 1), "load_avg_1m_big": round(os.getloadavg()[0], 1)})
        result.update({"rss_records": args.rss_records, "peak_rss_mb_big": round(big_rss / 2**20),
                       "rss_growth": round(big_rss / ours_rss - 1, 3),
                       "ours_big": round(args.rss_records / big_s, 1)})
        if args.big_baseline:  # the goal is the ratio at this size: measure the loop on it too
            start, start_cpu = time.perf_counter(), time.process_time()
            baseline(big, work / f"baseline-big-{time.time_ns()}", 1000)
            base_big_s, base_big_cpu = time.perf_counter() - start, time.process_time() - start_cpu
            result.update({"baseline_big": round(args.rss_records / base_big_s, 1),
                           "ratio_big": round(base_big_s / big_s, 3),
                           "baseline_cpu_s_big": round(base_big_cpu, 1),
                           "cpu_ratio_big": round(base_big_cpu / run_ours.cpu, 3)})
    emit(**result)


if __name__ == "__main__":
    main()
