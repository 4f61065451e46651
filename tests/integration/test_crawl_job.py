"""jobs/pairs.py end to end on a local Ray against a loopback site: every URL accounted for."""

from __future__ import annotations

import io
import json
import tarfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fetch_servers import HostileSite, Server, make_jpeg
from PIL import Image

from engine.job import Params
from engine.keys import url_key
from engine.output.verify import verify_output


class PhotoSite(HostileSite):
    """The hostile site plus distinct photos under /photo/N.jpg."""

    def __call__(self, h) -> None:
        if h.path.startswith("/photo/"):
            n = int(h.path.rsplit("/", 1)[1].split(".")[0])
            body = make_jpeg(400 + n, 300, seed=n)
            h.send_response(200)
            h.send_header("Content-Type", "image/jpeg")
            h.send_header("Content-Length", str(len(body)))
            h.send_header("X-Robots-Tag", "otherbot: noai")
            h.end_headers()
            h.wfile.write(body)
        else:
            super().__call__(h)


@pytest.mark.integration
def test_pairs_job_accounts_for_every_url(ray_local, tmp_path):
    from engine.jobfile import build_job
    from engine.runner import run_job

    site = PhotoSite()
    with Server("127.0.0.1", site) as server:
        paths = [f"/photo/{i}.jpg" for i in range(6)] + [
            "/photo/1.jpg", "/status/404", "/private/x.jpg", "/xr/noimageai", "/html-as.jpg",
            "/to-metadata", "/ok.jpg",
        ]
        urls = [server.url(p) for p in paths] + ["ftp://127.0.0.1/x.jpg", None]
        listing = tmp_path / "urls.parquet"
        captions = [f"a garden with red flowers, view {i}" for i in range(len(urls))]
        pq.write_table(pa.table({"url": urls, "caption": captions,
                                 "uid": list(range(len(urls)))}), listing)
        params = Params({"allow_hosts": "127.0.0.1", "unit_size": "5", "timeout": "30", "dedup": "false",
                         "samples_per_shard": "4"})
        manifest = run_job(build_job("pairs", [str(listing)], str(tmp_path / "out"), params), workers=2)
        photo_requests = [p for p in server.requests if p == "/photo/1.jpg"]
    assert verify_output(tmp_path / "out") == []  # a URL listed twice shares its key

    rejects = pq.read_table(tmp_path / "out" / "rejects").to_pylist()
    assert manifest["totals"] == {"inputs": 15, "kept": 7, "rejected": 8}, [
        (r["stage"], r["reason"], r["detail"]) for r in rejects]
    got = {(r["stage"], r["reason"]) for r in rejects}
    assert got == {
        ("read", "missing_url"), ("reject_duplicate_urls", "duplicate_url"),
        ("fetch", "http_404"), ("fetch", "robots_txt"), ("fetch", "x_robots_tag"),
        ("fetch", "unsupported_format"), ("fetch", "blocked_address"), ("fetch", "bad_scheme"),
    }
    dup = next(r for r in rejects if r["reason"] == "duplicate_url")
    assert dup["dup_of"] == url_key(server.url("/photo/1.jpg")) and dup["seq"] == 6
    assert len(photo_requests) == 1  # the duplicate URL was fetched once

    shards = sorted((tmp_path / "out" / "shards").glob("*.tar"))
    names, metas = [], []
    for shard in shards:
        with tarfile.open(shard) as tar:
            for member in tar.getmembers():
                names.append(member.name)
                data = tar.extractfile(member).read()
                if member.name.endswith(".jpg"):
                    assert Image.open(io.BytesIO(data)).size == (256, 256)
                elif member.name.endswith(".json"):
                    metas.append(json.loads(data))
    assert len(metas) == 7
    for meta in metas:
        assert meta["http_status"] == 200 and meta["status"] == "success"  # img2dataset's word
        assert meta["sha256"] and meta["orig_height"] in (240, 300)
        assert meta["robots_txt"].startswith("allowed")
        assert meta["uid"] is not None
    assert any(m.get("x_robots_tag") == "otherbot: noai" for m in metas)  # null values left out  # evidence kept
