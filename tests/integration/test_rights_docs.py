"""Rights in the documents job: pages with each TDMRep meta/header form and each licence form,
packed into a WARC whose images are served from loopback with XMP, C2PA, TDMRep headers and a
``/.well-known/tdmrep.json``."""

from __future__ import annotations

import json
import tarfile

import pyarrow.parquet as pq
import pytest

from engine.job import Params
from engine.sources.warc_write import write_warc
from tests.integration.fetch_servers import Server, reply
from tests.integration.test_rights_crawl import assert_card_rights_from_merged_counts
from tests.rights_images import c2pa_signed_jpeg, jpeg, personal_exif, xmp_attributes, xmp_elements

PLUS = "http://ns.useplus.org/ldf/vocab/"
WORDS = ["The river bends twice before it reaches the old mill, where herons wait in the reeds.",
         "In spring the orchard fills with blossom and the bees work from dawn until the light fades.",
         "Walkers follow the stone path along the valley, past hedges, fields and a small chapel.",
         "Each autumn the village gathers apples and presses them into cider in the barn by the lane."]


class ImageSite:
    def __init__(self):
        self.images = {
            "/img/plain.jpg": jpeg(seed=1, size=(160, 120)),
            "/img/fig.jpg": jpeg(seed=2, size=(160, 120)),
            "/img/xmp-cc0.jpg": jpeg(xmp=xmp_elements(
                **{"cc:license": "https://creativecommons.org/publicdomain/zero/1.0/"}),
                exif=personal_exif(), seed=3, size=(160, 120)),
            "/img/no-mining.jpg": jpeg(xmp=xmp_attributes(
                **{"plus:DataMining": PLUS + "DMI-PROHIBITED-AIMLTRAINING"}), seed=4, size=(160, 120)),
            "/img/c2pa.jpg": c2pa_signed_jpeg("compositeWithTrainedAlgorithmicMedia"),
            "/reserved/r.jpg": jpeg(seed=5, size=(160, 120)),
        }

    def __call__(self, h) -> None:
        path = h.path.split("?", 1)[0]
        if path == "/.well-known/tdmrep.json":
            reply(h, 200, json.dumps([{"location": "/reserved/*", "tdm-reservation": 1},
                                      {"location": "/p/file-reserved$", "tdm-reservation": 1},
                                      {"location": "/*", "tdm-reservation": 0}]).encode(),
                  {"Content-Type": "application/json"})
        elif path in self.images:
            reply(h, 200, self.images[path], {"Content-Type": "image/jpeg"})
        else:
            reply(h, 404, b"")


def page(head: str, body: str) -> bytes:
    return (f"<html><head><title>t</title>{head}</head><body><article><h1>A page</h1>"
            f"<p>{WORDS[0]} {WORDS[1]}</p>{body}<p>{WORDS[2]} {WORDS[3]}</p></article></body></html>").encode()


def img(base: str, path: str) -> str:
    return f'<p><img src="{base}{path}" width="160" height="120" alt="a picture"></p>'


@pytest.mark.integration
def test_docs_job_rights(ray_local, tmp_path):
    from engine.jobfile import build_job
    from engine.output.card import render_card
    from engine.output.rights import rights_summary
    from engine.runner import run_job

    site = ImageSite()
    with Server("127.0.0.1", site) as server:
        b = server.url("")
        pages = [
            (f"{b}/p/meta-reserved", page('<meta name="tdm-reservation" content="1">', img(b, "/img/plain.jpg"))),
            (f"{b}/p/header-reserved", page("", img(b, "/img/plain.jpg")),
             [("tdm-reservation", "1"), ("tdm-policy", "https://policy.example/")]),
            (f"{b}/p/licensed", page(
                '<meta name="tdm-reservation" content="0">'
                '<link rel="license" href="https://creativecommons.org/licenses/by-sa/4.0/">',
                img(b, "/img/plain.jpg")
                + f'<figure><img src="{b}/img/fig.jpg" width="160" height="120"><figcaption>fig '
                  '<a rel="license" href="https://creativecommons.org/licenses/by-nc/4.0/">CC BY-NC</a>'
                  "</figcaption></figure>"
                + img(b, "/img/xmp-cc0.jpg") + img(b, "/img/no-mining.jpg") + img(b, "/img/c2pa.jpg")
                + img(b, "/reserved/r.jpg"))),
            (f"{b}/p/file-reserved", page("", img(b, "/img/plain.jpg"))),
            (f"{b}/p/jsonld", page('<script type="application/ld+json">{"@context": "https://schema.org",'
                                   ' "@type": "Article", "license": "CC BY 4.0"}</script>', img(b, "/img/plain.jpg"))),
        ]
        warc = tmp_path / "pages.warc.gz"
        write_warc(pages, str(warc))
        params = Params({"allow_hosts": "127.0.0.1", "min_words": "5", "dedup": "false",
                         "ai_generated": "reject", "min_image_side": "10"})
        out = tmp_path / "out"
        run_job(build_job("docs", [str(warc)], str(out), params), workers=1,
                params=params.as_dict())
    rejects = {r["url"].rsplit("/", 1)[1]: (r["stage"], r["reason"], r["detail"])
               for p in sorted((out / "rejects").glob("*.parquet")) for r in pq.read_table(p).to_pylist()}
    assert rejects["meta-reserved"][:2] == ("tdm_reservation", "tdm_reservation")
    assert "meta tdm-reservation: 1" in rejects["meta-reserved"][2]
    assert rejects["header-reserved"][:2] == ("tdm_reservation", "tdm_reservation")
    assert "policy.example" in rejects["header-reserved"][2]
    assert rejects["file-reserved"][:2] == ("doc_tdmrep", "tdm_reservation")
    assert "tdmrep.json '/p/file-reserved$': 1" in rejects["file-reserved"][2]
    docs = {}
    for tar_path in sorted((out / "shards").glob("*.tar")):
        with tarfile.open(tar_path) as tar:
            for member in tar.getmembers():
                data = tar.extractfile(member).read()
                if member.name.endswith(".json"):
                    meta = json.loads(data)
                    docs[meta["url"].rsplit("/", 1)[1]] = meta
                else:
                    assert b"Jane Owner" not in data and b"SN-0042-XYZ" not in data
    assert set(docs) == {"licensed", "jsonld"}, rejects
    licensed = docs["licensed"]
    general = json.loads(licensed["general_metadata"])  # OBELICS: our document metadata beside its keys
    positions = json.loads(licensed["metadata"])  # OBELICS: one object per image position
    rights = general["rights"]
    assert rights["license"] == "cc-by-sa-4.0" and rights["tdm_reserved"] is False
    assert "meta tdm-reservation: 0" in rights["tdm"] and "tdmrep.json '/*': 0" in rights["tdm"]
    kept = {entry["src"].rsplit("/", 1)[1]: entry["rights"] for entry in positions if entry}
    assert kept["plain.jpg"]["license"] == "cc-by-sa-4.0"
    assert kept["plain.jpg"]["evidence"]["license_from"] == "page licence"
    assert kept["fig.jpg"]["license"] == "cc-by-nc-4.0"
    assert kept["xmp-cc0.jpg"]["license"] == "cc0-1.0"
    assert all(r["ai_generated"] is not True for r in kept.values())
    removed = {r["url"].rsplit("/", 1)[1]: r["reason"] for r in general["removed_images"]}
    assert removed == {"no-mining.jpg": "iptc_data_mining", "c2pa.jpg": "ai_generated",
                       "r.jpg": "tdm_reservation"}
    summary = rights_summary(out)
    assert summary["licenses"] == {"cc-by-sa-4.0": 1, "cc-by-4.0": 1}
    assert summary["images_removed"] == {"iptc_data_mining": 1, "ai_generated": 1, "tdm_reservation": 1}
    assert summary["rejected"]["tdm_reservation"] == 3
    card = render_card(out)
    assert "| cc-by-sa-4.0 | 1 |" in card and "| cc0-1.0 | 1 |" in card
    assert_card_rights_from_merged_counts(out, card)
