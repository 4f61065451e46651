"""The rights filters on Arrow batches as the jobs hand them over: pairs (columns) and
documents (``metadata`` JSON with per-position image rights)."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from engine.columns import REJECT_REASON
from filters.provenance import AiGenerated, IptcDataMining, LicenseFilter, TdmReservation


def pairs() -> pa.Table:
    return pa.table({
        "key": ["a", "b", "c", "d"],
        "license": ["cc-by-4.0", "cc-by-nc-4.0", None, "cc0-1.0"],
        "ai_generated": [False, True, None, False],
        "data_mining": [None, "DMI-PROHIBITED-AIMLTRAINING", "DMI-ALLOWED", "DMI-UNSPECIFIED"],
        "rights_evidence": [None, json.dumps({"c2pa": "c2pa manifest: digitalSourceType=x"}), None, None],
    })


def reasons(batch: pa.Table) -> list:
    return batch.column(REJECT_REASON).to_pylist()


@pytest.mark.parametrize("allowed, expected", [
    (["cc-by-*", "cc0-*"], [None, None, "license", None]),
    (["cc-by-4.0"], [None, "license", "license", "license"]),
    (["none", "cc0-1.0"], ["license", "license", None, None]),
])
def test_license_filter_on_pairs(allowed, expected):
    assert reasons(LicenseFilter(allowed)(pairs())) == expected


def test_data_mining_and_ai_generated_on_pairs():
    assert reasons(IptcDataMining()(pairs())) == [None, "iptc_data_mining", None, None]
    assert reasons(AiGenerated("keep")(pairs())) == [None] * 4
    rejected = AiGenerated("reject")(pairs())
    assert reasons(rejected) == [None, "ai_generated", None, None]
    with pytest.raises(ValueError):
        AiGenerated("drop")


def doc(license_id, tdm_reserved, images: list[dict | None]) -> dict:
    n = len(images) + 1
    meta = {"rights": {"license": license_id, "tdm_reserved": tdm_reserved, "tdm": "meta tdm-reservation: 1"},
            "image_info": [None] + [({"rights": r} if r is not None else {}) for r in images],
            "removed_images": []}
    return {"key": f"k{license_id}", "texts": ["text"] + [None] * (n - 1),
            "images": [None] * n, "image_urls": [None] + [f"https://x/{i}.jpg" for i in range(n - 1)],
            "image_widths": [None] * n, "image_heights": [None] * n, "metadata": json.dumps(meta)}


def test_document_filters_remove_images_and_reject_pages():
    rows = [
        doc("cc-by-sa-4.0", False, [
            {"license": "cc-by-sa-4.0", "evidence": {"license_from": "page licence"}},
            {"license": "cc-by-nc-4.0", "evidence": {"license_from": "xmpRights:WebStatement"},
             "data_mining_prohibited": True},
            {"license": None, "ai_generated": True, "evidence": {"c2pa": "manifest"}},
        ]),
        doc(None, True, []),
    ]
    batch = pa.Table.from_pylist(rows)
    assert reasons(TdmReservation()(batch)) == [None, "tdm_reservation"]
    mined = IptcDataMining()(batch)
    meta = json.loads(mined.column("metadata")[0].as_py())
    assert [r["reason"] for r in meta["removed_images"]] == ["iptc_data_mining"]
    assert len(mined.column("texts")[0].as_py()) == 3
    ai = AiGenerated("reject")(mined)
    assert [r["reason"] for r in json.loads(ai.column("metadata")[0].as_py())["removed_images"]] == [
        "iptc_data_mining", "ai_generated"]
    licensed = LicenseFilter(["cc-by-sa-*"])(batch)
    assert reasons(licensed) == [None, "license"]
    removed = json.loads(licensed.column("metadata")[0].as_py())["removed_images"]
    assert [(r["url"], r["reason"]) for r in removed] == [("https://x/1.jpg", "license")]
