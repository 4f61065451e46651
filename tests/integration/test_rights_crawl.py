"""Rights end to end against a loopback site: TDMRep headers and ``/.well-known/tdmrep.json``,
IPTC data mining in both XMP forms, AI-generated images (XMP and a C2PA-signed sample),
licences (XMP, Link header), personal metadata scrubbed; the pairs job's rejects, shards,
``loomery stats``, HTML report and dataset card show them."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tarfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fetch_servers import Server, reply
from PIL import Image

from engine.fetch import Fetcher, FetchPolicy
from engine.job import Params
from tests.rights_images import c2pa_signed_jpeg, jpeg, personal_exif, xmp_attributes, xmp_elements

PLUS = "http://ns.useplus.org/ldf/vocab/"
DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TDMREP = [
    {"location": "/reserved/*", "tdm-reservation": 1, "tdm-policy": "https://policy.example/tdm.json"},
    {"location": "/*", "tdm-reservation": 0},
]


class RightsSite:
    """Images with every rights signal; counts the requests per path."""

    def __init__(self):
        self.requests: list[str] = []
        self.c2pa = c2pa_signed_jpeg("trainedAlgorithmicMedia")
        self.images = {
            "/plain.jpg": jpeg(seed=1),
            "/reserved/a.jpg": jpeg(seed=2),
            "/hdr/1.jpg": jpeg(seed=3), "/hdr/0.jpg": jpeg(seed=4), "/hdr/junk.jpg": jpeg(seed=5),
            "/dm/attr-prohibited.jpg": jpeg(xmp=xmp_attributes(**{"plus:DataMining": PLUS + "DMI-PROHIBITED"}), seed=6),
            "/dm/elem-genai.jpg": jpeg(xmp=xmp_elements(
                **{"plus:DataMining": PLUS + "DMI-PROHIBITED-GENAIMLTRAINING"}), seed=7),
            "/dm/elem-allowed.jpg": jpeg(xmp=xmp_elements(**{"plus:DataMining": PLUS + "DMI-ALLOWED"}), seed=8),
            "/ai/xmp.jpg": jpeg(xmp=xmp_attributes(
                **{"Iptc4xmpExt:DigitalSourceType": DST + "trainedAlgorithmicMedia"}), seed=9),
            "/ai/c2pa.jpg": self.c2pa,
            "/camera.jpg": jpeg(xmp=xmp_elements(**{"Iptc4xmpExt:DigitalSourceType": DST + "digitalCapture",
                                                    "cc:license": "https://creativecommons.org/licenses/by/4.0/"}),
                                exif=personal_exif(), comment=b"taken at home", seed=10),
            "/lic/link.jpg": jpeg(seed=11),
        }
        self.headers = {
            "/hdr/1.jpg": [("tdm-reservation", "1"), ("tdm-policy", "https://policy.example/tdm.json")],
            "/hdr/0.jpg": [("tdm-reservation", "0")],
            "/hdr/junk.jpg": [("tdm-reservation", "perhaps")],
            "/lic/link.jpg": [("Link", '<https://creativecommons.org/licenses/by-sa/4.0/>; rel="license"')],
        }

    def __call__(self, h) -> None:
        path = h.path.split("?", 1)[0]
        self.requests.append(path)
        if path == "/.well-known/tdmrep.json":
            reply(h, 200, json.dumps(TDMREP).encode(), {"Content-Type": "application/json"})
        elif path in self.images:
            reply(h, 200, self.images[path], [("Content-Type", "image/jpeg"), *self.headers.get(path, [])])
        else:
            reply(h, 404, b"")


def test_fetcher_honours_tdmrep_header_and_file():
    site = RightsSite()
    with Server("127.0.0.1", site) as server, Fetcher(FetchPolicy(allow_hosts="127.0.0.1")) as fetcher:
        paths = ["/plain.jpg", "/reserved/a.jpg", "/hdr/1.jpg", "/hdr/0.jpg", "/hdr/junk.jpg"]
        results = dict(zip(paths, fetcher.fetch_all([server.url(p) for p in paths], 4), strict=True))
    assert site.requests.count("/.well-known/tdmrep.json") == 1  # once per host, cached
    assert "/reserved/a.jpg" not in site.requests  # reserved by the file: never requested
    assert results["/reserved/a.jpg"].reason == "tdm_reservation"
    assert "policy.example" in results["/reserved/a.jpg"].detail
    assert results["/hdr/1.jpg"].reason == "tdm_reservation"
    assert "header tdm-reservation: 1" in results["/hdr/1.jpg"].detail
    for path in ("/plain.jpg", "/hdr/0.jpg", "/hdr/junk.jpg"):
        r = results[path]
        assert r.ok and r.extra["tdm_reserved"] is False, (path, r.reason, r.detail)
        assert "tdmrep.json '/*': 0" in r.extra["tdm"]
    assert "header tdm-reservation: perhaps" in results["/hdr/junk.jpg"].extra["tdm"]


def test_respect_tdmrep_false_records_without_enforcing():
    site = RightsSite()
    policy = FetchPolicy(allow_hosts="127.0.0.1", respect_tdmrep=False)
    with Server("127.0.0.1", site) as server, Fetcher(policy) as fetcher:
        [r] = fetcher.fetch_all([server.url("/hdr/1.jpg")])
    assert r.ok and r.extra["tdm_reserved"] is True


@pytest.mark.integration
def test_pairs_job_rights(ray_local, tmp_path, capsys):
    from engine.jobfile import build_job
    from engine.output.card import render_card
    from engine.report.build import build_report
    from engine.runner import run_job
    from loomery.commands.stats import main as stats_main

    site = RightsSite()
    with Server("127.0.0.1", site) as server:
        urls = [server.url(p) for p in site.images]
        listing = tmp_path / "urls.parquet"
        pq.write_table(pa.table({"url": urls, "caption": [f"a photo number {i}" for i in range(len(urls))]}),
                       listing)
        params = Params({"allow_hosts": "127.0.0.1", "dedup": "false", "ai_generated": "reject",
                         "resize_mode": "no", "unit_size": "20"})
        job = build_job("pairs", [str(listing)], str(tmp_path / "out"), params)
        manifest = run_job(job, workers=1)
    out = tmp_path / "out"
    rejects = {r["url"].split(str(server.port), 1)[1]: (r["stage"], r["reason"])
               for r in pq.read_table(out / "rejects").to_pylist()}
    assert rejects == {
        "/reserved/a.jpg": ("fetch", "tdm_reservation"),
        "/hdr/1.jpg": ("fetch", "tdm_reservation"),
        "/dm/attr-prohibited.jpg": ("iptc_data_mining", "iptc_data_mining"),
        "/dm/elem-genai.jpg": ("iptc_data_mining", "iptc_data_mining"),
        "/ai/xmp.jpg": ("ai_generated", "ai_generated"),
        "/ai/c2pa.jpg": ("ai_generated", "ai_generated"),
    }
    assert manifest["totals"]["kept"] == 6
    kept = {}
    for shard in sorted((out / "shards").glob("*.tar")):
        with tarfile.open(shard) as tar:
            for member in tar.getmembers():
                data = tar.extractfile(member).read()
                if member.name.endswith(".jpg"):
                    for needle in (b"Jane Owner", b"SN-0042-XYZ", b"taken at home"):
                        assert needle not in data
                    assert dict(Image.open(io.BytesIO(data)).getexif()) == {}
                elif member.name.endswith(".json"):
                    meta = json.loads(data)
                    kept[meta["url"].split(str(server.port), 1)[1]] = meta
    assert kept["/camera.jpg"]["license"] == "cc-by-4.0" and kept["/camera.jpg"]["ai_generated"] is False
    assert (kept["/camera.jpg"]["width"], kept["/camera.jpg"]["height"]) == (64, 96)  # orientation applied
    assert kept["/lic/link.jpg"]["license"] == "cc-by-sa-4.0"
    assert json.loads(kept["/lic/link.jpg"]["rights_evidence"])["license_from"] == "Link rel=license header"
    assert kept["/dm/elem-allowed.jpg"]["data_mining"] == "DMI-ALLOWED"
    # null fields are left out of the .json members
    assert kept["/plain.jpg"].get("ai_generated") is None and kept["/plain.jpg"].get("license") is None
    assert "tdmrep.json '/*': 0" in kept["/plain.jpg"]["tdm"]
    assert json.loads(kept["/plain.jpg"]["rights_evidence"]) == {"absent": ["xmp", "c2pa"]}

    with contextlib.suppress(SystemExit):
        stats_main(argparse.Namespace(out=str(out), json=False))
    text = capsys.readouterr().out
    assert "licences: none 4, cc-by-4.0 1, cc-by-sa-4.0 1" in text
    assert "rights rejections:" in text and "tdm_reservation 2" in text and "ai_generated 2" in text
    html = build_report(out)
    assert "Licences and rights" in html and "cc-by-sa-4.0 1" in html and "iptc_data_mining 2" in html
    card = render_card(out)
    assert "## Licences and rights" in card and "| cc-by-4.0 | 1 |" in card
    assert "tdm_reservation 2" in card and "iptc_data_mining 2" in card
    assert_card_rights_from_merged_counts(out, card)


def assert_card_rights_from_merged_counts(out, card: str) -> None:
    """The run merged its units' rights counts into stats.json; the card made from them is the
    card made by counting every sidecar (the path a folder without them takes)."""
    from engine.output.card import render_card
    from engine.output.rights import rights_summary

    original = (out / "stats.json").read_text()
    stats = json.loads(original)
    assert stats["rights"]["licenses"] and rights_summary(out) == rights_summary(out, exact=True)
    del stats["rights"]
    (out / "stats.json").write_text(json.dumps(stats))
    try:
        assert render_card(out) == card
    finally:
        (out / "stats.json").write_text(original)
