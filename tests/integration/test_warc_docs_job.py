"""The documents job end to end on real pages: the html-dev corpus packed into a WARC whose URLs
point at a loopback server, extracted, filtered, images fetched and written as shards."""

import json
import re
import tarfile
import zlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from engine.job import Params
from engine.output.verify import verify_output
from engine.runner import run_job
from engine.sinks.documents import unpack_images
from engine.sources.warc_write import write_warc
from schemas.document import check_interleaving
from tests.conftest import corpus
from tests.integration.fetch_servers import Server, make_jpeg, reply

_ABSOLUTE = re.compile(rb"(?:https?:)?//(?=[A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def image_server(h) -> None:
    """A JPEG for every path, except one in four which is missing (a recorded failure)."""
    if h.path == "/robots.txt" or zlib.crc32(h.path.encode()) % 4 == 0:
        reply(h, 404, b"")
    else:
        reply(h, 200, make_jpeg(160, 120, seed=zlib.crc32(h.path.encode()) % 7),
              {"Content-Type": "image/jpeg"})


def pack_warc(pages: list[Path], base: str, path: Path, x_robots: dict[str, str]) -> list[str]:
    """Write ``pages`` as HTML response records whose URLs, and every absolute URL inside them,
    point at ``base`` (a loopback server), so that nothing is fetched from anywhere else."""
    records = []
    for page in pages:
        body = _ABSOLUTE.sub(f"{base}/ext/".encode(), page.read_bytes())
        extra = [("X-Robots-Tag", x_robots[page.name])] if page.name in x_robots else []
        records.append((f"{base}/page/{page.name}", body, extra))
    write_warc(records, str(path))
    return [r[0] for r in records]


def run(warc: Path, out: Path, **params):
    from engine.jobfile import build_job


    params = Params({k: str(v) for k, v in params.items()})
    return run_job(build_job("docs", [str(warc)], str(out), params), workers=1, params=params.as_dict())


def documents(out: Path) -> dict[str, dict]:
    """key -> {json, images: {position: bytes}} from the output tars."""
    docs: dict[str, dict] = {}
    for tar_path in sorted((out / "shards").glob("*.tar")):
        with tarfile.open(tar_path) as tar:
            for member in tar.getmembers():
                key, _, rest = member.name.partition(".")
                data = tar.extractfile(member).read()
                doc = docs.setdefault(key, {"images": {}})
                if rest == "json":
                    doc["json"] = json.loads(data)
                else:  # one images.mp member: bytes per position, empty at text positions
                    assert rest == "images.mp"
                    doc["images"] = unpack_images(data)
    return docs


def rejects(out: Path) -> list[dict]:
    return [r for p in sorted((out / "rejects").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]


@pytest.fixture(scope="module")
def site():
    with Server("127.0.0.1", image_server) as server:
        yield server


@pytest.mark.slow
def test_html_dev_pages_extract_only(ray_local, site, tmp_path):
    pages = sorted(corpus("html-dev").glob("*.html"))
    warc = tmp_path / "pages.warc.gz"
    pack_warc(pages, site.url("").rstrip("/"), warc, {})
    manifest = run(warc, tmp_path / "out", extract_only="true", unit_size=40)
    totals = manifest["totals"]
    assert totals["inputs"] == len(pages) == totals["kept"] + totals["rejected"]
    assert totals["kept"] >= len(pages) - 5
    docs = documents(tmp_path / "out")
    assert len(docs) == totals["kept"]
    loopback = site.url("/")
    for doc in docs.values():
        seq = doc["json"]
        assert check_interleaving(seq["texts"], seq["images"]) is None  # OBELICS: URLs
        assert not doc["images"], "extract_only fetches nothing"
        for url in filter(None, seq["images"]):
            assert url.startswith(loopback) or url.startswith("data:"), url
    assert sum(1 for d in docs.values() for u in d["json"]["images"] if u) > 100


def test_job_fetches_images_into_their_positions(ray_local, site, tmp_path):
    pages = sorted(corpus("html-dev").glob("*.html"))[:6]
    warc = tmp_path / "pages.warc.gz"
    opted_out = {pages[0].name: "noai", pages[1].name: "noimageai"}
    pack_warc(pages + pages[2:3], site.url("").rstrip("/"), warc, opted_out)  # one captured twice
    manifest = run(warc, tmp_path / "out", allow_hosts="127.0.0.1", unit_size=7,
                   min_words=20, retries=0, timeout=10)
    totals = manifest["totals"]
    assert totals["inputs"] == len(pages) + 1 == totals["kept"] + totals["rejected"]
    assert verify_output(tmp_path / "out") == []  # a page captured twice, images and all
    rejected = rejects(tmp_path / "out")
    assert [r["url"].rsplit("/", 1)[-1] for r in rejected if r["reason"] == "duplicate_url"] == [
        pages[2].name]
    assert {"stage": "doc_consent", "reason": "opt_out_noai"}.items() <= next(
        r for r in rejected if r["url"].endswith(pages[0].name)).items()
    docs = documents(tmp_path / "out")
    fetched = failed = 0
    for doc in docs.values():
        seq, meta = doc["json"], json.loads(doc["json"]["general_metadata"])  # OBELICS
        images = [doc["images"].get(i) for i in range(len(seq["texts"]))]
        assert check_interleaving(seq["texts"], images) is None  # every image now has bytes
        assert all(data.startswith(b"\xff\xd8") for data in doc["images"].values())
        fetched += len(doc["images"])
        for removed in meta["removed_images"]:
            assert removed["reason"] and removed["stage"]
        failed += sum(r["reason"] == "http_404" for r in meta["removed_images"])
        if seq["url"].endswith(pages[1].name):
            assert not doc["images"] and meta["consent"]["noimageai"]
        # NSFW and faces judged every fetched image, each score at its image's position
        for pos in range(len(seq["texts"])):
            has_image = pos in doc["images"]
            assert (seq["image_nsfw_score"][pos] is not None) == has_image
            assert (seq["image_face_count"][pos] is not None) == has_image
            if has_image:
                assert seq["image_nsfw_score"][pos] < 0.5 and seq["image_face_count"][pos] == 0
    assert fetched > 3 and failed > 0
    used = {(m["stage"], m["name"]) for m in manifest["models"]}
    assert {("doc_nsfw", "nudenet-320n"), ("doc_faces", "opencv-haar-frontalface")} <= used


def test_corpus_warcs_through_the_job_account_for_every_input(ray_local, tmp_path):
    from engine.sources.warc import WarcSource

    folder = corpus("warc")
    manifest = run(folder, tmp_path / "out", extract_only="true", unit_size=2)
    source = WarcSource([str(folder)])
    inputs = sum(source.read(u).num_rows for u in source.plan(2))  # counted as read
    totals = manifest["totals"]
    assert totals["inputs"] == inputs == totals["kept"] + totals["rejected"]
    reasons = {r["reason"] for r in rejects(tmp_path / "out")}
    assert {"incomplete_payload", "malformed_archive", "malformed_http_headers"} <= reasons
    assert totals["kept"] >= 8  # the example.com page in each readable WARC/ARC flavour


def test_byte_ranges_with_no_record_of_their_own_are_published_empty(ray_local, tmp_path):
    """Ranges smaller than a record: most units hold no record start, and are still published,
    so the run finishes, resumes nothing twice, and accounts for every page once."""
    from engine.job import Job
    from engine.sinks.documents import DocumentSink
    from engine.sources.warc import WarcSource

    pages = sorted(corpus("html-dev").glob("*.html"))[:5]
    warc = tmp_path / "pages.warc.gz"
    urls = pack_warc(pages, "http://127.0.0.1:9", warc, {})
    source = WarcSource([str(warc)], record_bytes=2_000)
    units = source.plan(1)
    empty = [u for u in units if source.read(u).num_rows == 0]
    assert len(empty) > len(pages)
    job = Job(source=source, stages=[], sink=DocumentSink(samples_per_shard=2), out=str(tmp_path / "out"),
              unit_size=1)
    manifest = run_job(job, workers=2)
    assert manifest["totals"]["inputs"] == len(pages) == manifest["totals"]["kept"]
    assert sorted(r["url"] for r in manifest_rows(tmp_path / "out")) == sorted(urls)
    assert run_job(job, workers=2) == manifest  # finished: nothing to redo


def manifest_rows(out: Path) -> list[dict]:
    return [r for p in sorted((out / "metadata").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
