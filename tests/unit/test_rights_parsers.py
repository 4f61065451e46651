"""The rights parsers on images and pages made here: licences, XMP in both forms with every
PLUS and digital-source-type value, C2PA, TDMRep files and headers, HTML licence forms, and the
scrubbing of personal metadata whatever the resize mode."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from engine.consent.c2pa_read import manifest_container, read_c2pa
from engine.consent.html_rights import page_rights
from engine.consent.http_rights import license_links, rights_headers
from engine.consent.image_rights import image_rights
from engine.consent.licenses import normalize_license
from engine.consent.scrub import strip_metadata
from engine.consent.tdmrep import TdmRepFile, TdmVerdict, header_verdict
from filters.images.resize import MODES, Resizer
from tests.rights_images import (
    c2pa_signed_jpeg,
    jpeg,
    personal_exif,
    png,
    webp,
    xmp_attributes,
    xmp_elements,
)

PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"


@pytest.mark.parametrize("value, expected", [
    ("https://creativecommons.org/licenses/by/4.0/", "cc-by-4.0"),
    ("http://creativecommons.org/licenses/by-sa/4.0/deed.fr", "cc-by-sa-4.0"),
    ("https://creativecommons.org/licenses/by-nc/4.0", "cc-by-nc-4.0"),
    ("https://creativecommons.org/licenses/by-nc-sa/2.0/de/", "cc-by-nc-sa-2.0-de"),
    ("https://creativecommons.org/licenses/by-nd/3.0/", "cc-by-nd-3.0"),
    ("//creativecommons.org/publicdomain/zero/1.0/", "cc0-1.0"),
    ("https://creativecommons.org/publicdomain/mark/1.0/", "pdm-1.0"),
    ("CC BY-SA 4.0", "cc-by-sa-4.0"),
    ("cc-by-nc-nd 4.0", "cc-by-nc-nd-4.0"),
    ("Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International", "cc-by-nc-sa-4.0"),
    ("Creative Commons Attribution 2.0 Generic", "cc-by-2.0"),
    ("CC0", "cc0-1.0"),
    ("https://opensource.org/licenses/MIT", "mit"),
    ("Released into the public domain", "public-domain"),
    ("All rights reserved", "other"),
    ("", None),
])
def test_license_ids(value, expected):
    assert normalize_license(value) == expected


PROHIBITING = ["DMI-PROHIBITED", "DMI-PROHIBITED-AIMLTRAINING", "DMI-PROHIBITED-GENAIMLTRAINING",
               "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", "DMI-PROHIBITED-SEECONSTRAINT"]


@pytest.mark.parametrize("form", [xmp_attributes, xmp_elements])
@pytest.mark.parametrize("code", [*PROHIBITING, "DMI-ALLOWED", "DMI-UNSPECIFIED"])
def test_iptc_data_mining_in_both_xmp_forms(form, code):
    data = jpeg(xmp=form(**{"plus:DataMining": PLUS_VOCAB + code}))
    rights = image_rights(data)
    assert rights.data_mining == code
    assert rights.data_mining_prohibited is (code in PROHIBITING)
    assert rights.evidence["xmp"]["plus:DataMining"] == [PLUS_VOCAB + code]


@pytest.mark.parametrize("form", [xmp_attributes, xmp_elements])
@pytest.mark.parametrize("code, ai", [
    ("trainedAlgorithmicMedia", True), ("compositeWithTrainedAlgorithmicMedia", True),
    ("algorithmicMedia", True), ("digitalCapture", False), ("compositeCapture", False),
])
def test_digital_source_type(form, code, ai):
    value = f"http://cv.iptc.org/newscodes/digitalsourcetype/{code}"
    assert image_rights(jpeg(xmp=form(**{"Iptc4xmpExt:DigitalSourceType": value}))).ai_generated is ai


def test_no_metadata_means_unknown():
    rights = image_rights(jpeg())
    assert (rights.ai_generated, rights.data_mining, rights.license) == (None, None, None)
    assert rights.evidence == {"absent": ["xmp", "c2pa"]}  # what was checked is recorded


@pytest.mark.parametrize("form", [xmp_attributes, xmp_elements])
@pytest.mark.parametrize("field, value, expected", [
    ("xmpRights:WebStatement", "https://creativecommons.org/licenses/by-sa/4.0/", "cc-by-sa-4.0"),
    ("cc:license", "https://creativecommons.org/publicdomain/zero/1.0/", "cc0-1.0"),
    ("xmpRights:UsageTerms", "This work is licensed under CC BY-NC 4.0", "cc-by-nc-4.0"),
])
def test_xmp_licence_fields(form, field, value, expected):
    rights = image_rights(jpeg(xmp=form(**{field: value})))
    assert rights.license == expected
    assert rights.evidence["license_from"] == field


@pytest.mark.parametrize("container", [png, webp])
def test_xmp_read_from_png_and_webp(container):
    data = container(xmp_elements(**{"plus:DataMining": PLUS_VOCAB + "DMI-PROHIBITED"}))
    assert image_rights(data).data_mining_prohibited is True


def test_hostile_xmp_is_evidence_not_a_crash():
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>'
    rights = image_rights(jpeg(xmp=bomb))
    assert rights.data_mining is None  # read, nothing expanded into a value
    rights = image_rights(jpeg(xmp=b"<x:xmpmeta><unclosed"))
    assert "unparseable" in rights.evidence["xmp_error"]


def test_c2pa_signed_sample_is_read_offline():
    data = c2pa_signed_jpeg("trainedAlgorithmicMedia")
    assert manifest_container(data) == ("jpeg", "JUMBF c2pa box in an APP11 segment")
    finding = read_c2pa(data)
    assert finding.present and finding.ai_generated is True
    assert "digitalSourceType=trainedalgorithmicmedia" in finding.evidence
    assert image_rights(data).ai_generated is True
    captured = read_c2pa(c2pa_signed_jpeg("digitalCapture"))
    assert captured.present and captured.ai_generated is False
    assert read_c2pa(jpeg()).present is False


def test_c2pa_presence_without_a_readable_manifest():
    # a JUMBF c2pa box that is not a manifest store: present, unknown, and the evidence says so
    data = jpeg()
    payload = b"JP\x00\x01\x00\x00\x00\x01" + b"\x00\x00\x00\x20jumb\x00\x00\x00\x18jumdc2pa" + b"\x00" * 12
    segment = b"\xff\xeb" + (len(payload) + 2).to_bytes(2, "big") + payload
    finding = read_c2pa(data[:2] + segment + data[2:])
    assert finding.present and finding.ai_generated is None
    assert "c2pa" in finding.evidence


def test_tdmrep_file_first_matching_rule_decides():
    body = json.dumps([
        {"location": "/open/*", "tdm-reservation": 0},
        {"location": "/img/*.jpg$", "tdm-reservation": 1, "tdm-policy": "https://p.example/policy.json"},
        {"location": "/*", "tdm-reservation": 0},
    ]).encode()
    tdm = TdmRepFile.parse(body, "200")
    cases = {"https://h.example/img/a.jpg": True, "https://h.example/img/a.jpg?x=1": False,
             "https://h.example/open/img/a.jpg": False, "https://h.example/other": False}
    for url, reserved in cases.items():
        verdict = TdmVerdict()
        tdm.check(url, verdict)
        assert verdict.reserved is reserved, (url, verdict.evidence)
    verdict = TdmVerdict()
    tdm.check("https://h.example/img/b.jpg", verdict)
    assert verdict.policy == "https://p.example/policy.json"
    assert TdmRepFile.parse(b"{not json", "200").rules == []


@pytest.mark.parametrize("value, reserved", [("1", True), ("0", False), (" 1 ", True), ("yes", None),
                                             (None, None)])
def test_tdm_header_values(value, reserved):
    verdict = TdmVerdict()
    header_verdict(verdict, value, "https://p.example/policy")
    assert verdict.reserved is reserved


def test_a_reservation_is_not_lifted_by_another_source():
    verdict = TdmVerdict()
    header_verdict(verdict, "1", None)
    header_verdict(verdict, "0", None)
    assert verdict.reserved is True and len(verdict.evidence) == 2


def test_link_license_header():
    assert license_links(['<https://creativecommons.org/licenses/by/4.0/>; rel="license"',
                          '</style.css>; rel=stylesheet']) == ["https://creativecommons.org/licenses/by/4.0/"]
    found = json.loads(rights_headers([("TDM-Reservation", "1"), ("tdm-policy", "https://p/"),
                                       ("Link", "<https://creativecommons.org/licenses/by-sa/4.0/>; rel=license")]))
    assert found == {"tdm-reservation": "1", "tdm-policy": "https://p/",
                     "license": ["https://creativecommons.org/licenses/by-sa/4.0/"]}


PAGE = """<html><head>{head}</head><body><article><p>Text.</p>{body}</article></body></html>"""


@pytest.mark.parametrize("head, body, expected, where", [
    ('<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">', "", "cc-by-4.0", "link"),
    ("", '<a rel="license" href="https://creativecommons.org/licenses/by-sa/4.0/">CC BY-SA</a>',
     "cc-by-sa-4.0", "a[rel=license]"),
    ('<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Article", '
     '"license": "https://creativecommons.org/publicdomain/zero/1.0/"}</script>', "", "cc0-1.0", "json-ld"),
    ('<script type="application/ld+json">{"@graph": [{"@type": "WebPage", "license": '
     '{"@id": "https://creativecommons.org/licenses/by-nc/4.0/"}}]}</script>', "", "cc-by-nc-4.0", "json-ld"),
    ("", '<div itemscope itemtype="https://schema.org/CreativeWork"><link itemprop="license" '
     'href="https://creativecommons.org/licenses/by-nd/4.0/"></div>', "cc-by-nd-4.0", "microdata"),
    ("", "<p>No statement.</p>", None, None),
])
def test_page_licence_forms(head, body, expected, where):
    rights = page_rights(PAGE.format(head=head, body=body).encode(), "https://site.example/a/page")
    assert rights.license == expected
    if where:
        assert any(line.startswith(where) for line in rights.evidence), rights.evidence


def test_image_licence_forms():
    body = ('<figure><img src="fig.jpg"><a rel="license" href="https://creativecommons.org/licenses/by/2.0/">'
            'CC BY</a></figure>'
            '<div itemscope itemtype="https://schema.org/ImageObject"><img itemprop="contentUrl" src="/md.jpg">'
            '<meta itemprop="license" content="https://creativecommons.org/licenses/by-sa/3.0/"></div>')
    head = ('<script type="application/ld+json">{"@type": "ImageObject", "contentUrl": "https://cdn.example/j.jpg",'
            ' "license": "https://creativecommons.org/publicdomain/zero/1.0/"}</script>')
    rights = page_rights(PAGE.format(head=head, body=body).encode(), "https://site.example/a/page")
    assert rights.license is None  # statements about images are not the page's
    assert {u: v[0] for u, v in rights.image_licenses.items()} == {
        "https://site.example/a/fig.jpg": "cc-by-2.0",
        "https://site.example/md.jpg": "cc-by-sa-3.0",
        "https://cdn.example/j.jpg": "cc0-1.0",
    }


@pytest.mark.parametrize("content, reserved", [("1", True), ("0", False)])
def test_tdm_meta_tags(content, reserved):
    head = f'<meta name="tdm-reservation" content="{content}"><meta name="tdm-policy" content="https://p/">'
    rights = page_rights(PAGE.format(head=head, body="").encode(), "https://site.example/")
    assert rights.tdm.reserved is reserved
    assert rights.tdm.policy == ("https://p/" if reserved else None)


PERSONAL = (b"Jane Owner", b"SN-0042-XYZ", b"taken at home")


def _assert_clean(data: bytes) -> Image.Image:
    for needle in PERSONAL:
        assert needle not in data
    im = Image.open(io.BytesIO(data))
    assert dict(im.getexif()) == {}
    assert "xmp" not in im.info and "comment" not in im.info and "exif" not in im.info
    return im


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fmt", ["jpg", "png", "webp"])
def test_no_personal_metadata_whatever_the_mode(mode, fmt):
    original = jpeg(xmp=xmp_elements(**{"dc:rights": "Jane Owner"}), exif=personal_exif(),
                    comment=b"taken at home")
    for needle in PERSONAL:
        assert needle in original  # the test image does carry them
    out = Resizer(image_size=48, resize_mode=mode, encode_format=fmt)(original)
    im = _assert_clean(out.data)
    assert (out.orig_width, out.orig_height) == (64, 96)  # orientation 6 applied first
    if mode == "no":
        assert im.size == (64, 96)


@pytest.mark.parametrize("make", [
    lambda: jpeg(xmp=xmp_elements(**{"dc:rights": "Jane Owner"}), exif=personal_exif(), comment=b"taken at home"),
    lambda: png(xmp_elements(**{"dc:rights": "Jane Owner"})),
    lambda: webp(xmp_elements(**{"dc:rights": "Jane Owner"}), exif=personal_exif()),
])
def test_lossless_strip_keeps_pixels(make):
    original = make()
    stripped = strip_metadata(original)
    _assert_clean(stripped)
    before = np.asarray(Image.open(io.BytesIO(original)).convert("RGB"))
    after = np.asarray(Image.open(io.BytesIO(stripped)).convert("RGB"))
    assert np.array_equal(before, after)  # not re-encoded
    assert len(stripped) < len(original)


def _probe(data: bytes, shard_format: str | None) -> dict:
    import pyarrow as pa

    from filters import ProbeImage

    batch = pa.table({"key": ["k"], "image": pa.array([data], pa.binary())})
    return ProbeImage(shard_format=shard_format)(batch).to_pylist()[0]


@pytest.mark.parametrize("shard_format", [None, "jpeg", "png"])
def test_kept_original_bytes_carry_no_personal_metadata(shard_format):
    upright = jpeg(xmp=xmp_elements(**{"dc:rights": "Jane Owner"}), comment=b"taken at home",
                   exif=_no_rotation(personal_exif()))
    row = _probe(upright, shard_format)
    _assert_clean(row["image"])
    if shard_format in (None, "jpeg"):  # the original kept, stripped without re-encoding
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(row["image"]))),
                              np.asarray(Image.open(io.BytesIO(upright))))
    rotated = _probe(jpeg(exif=personal_exif()), shard_format)  # orientation 6
    im = _assert_clean(rotated["image"])
    assert im.size == (64, 96) and (rotated["width"], rotated["height"]) == (64, 96)


def _no_rotation(exif: Image.Exif) -> Image.Exif:
    exif[0x0112] = 1
    return exif
