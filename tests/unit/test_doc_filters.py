"""Document filters: image node filters edit positions; text filters reject with reasons."""

import json

import pyarrow as pa

from engine import columns as C
from engine.html.stage import DOCUMENT_COLUMNS
from filters.documents.consent import DocumentConsent
from filters.documents.images import DocImageFilter, image_reason
from filters.documents.text import DocImageCount, DocLanguage, DocQuality, DocWordCount, quality_signals
from schemas.document import check_interleaving

EN = ("The committee met on Tuesday to discuss the new budget for the city library, and the "
      "members agreed that the reading rooms should stay open longer during the winter. ")
DE = ("Der Ausschuss hat am Dienstag über den neuen Haushalt der Stadtbibliothek beraten, und "
      "die Mitglieder waren sich einig, dass die Lesesäle im Winter länger geöffnet bleiben. ")


def docs(*specs) -> pa.Table:
    """A batch of documents from lists of items: str = text, ("img", url, w, h) = image."""
    cols = {name: [] for name in DOCUMENT_COLUMNS}
    for items in specs:
        texts = [i if isinstance(i, str) else None for i in items]
        urls = [i[1] if not isinstance(i, str) else None for i in items]
        cols["texts"].append(texts)
        cols["images"].append([None] * len(items))
        cols["image_urls"].append(urls)
        cols["image_widths"].append([None if isinstance(i, str) else i[2] for i in items])
        cols["image_heights"].append([None if isinstance(i, str) else i[3] for i in items])
        cols["metadata"].append(json.dumps({
            "image_info": [None if isinstance(i, str) else {"alt": "a"} for i in items],
            "removed_images": [], "consent": {}}))
    table = pa.table({n: pa.array(v, DOCUMENT_COLUMNS[n]) for n, v in cols.items()})
    return table.append_column("key", pa.array([f"{i:024x}" for i in range(table.num_rows)]))


def test_image_reasons():
    assert image_reason("data:image/png;base64,xx", None, None, 100, ("jpg",))[0] == "data_uri"
    assert image_reason("https://a.org/static/logo.png", None, None, 100, ("png",)) == (
        "url_pattern", "logo")
    assert image_reason("https://a.org/img/icons/x.jpg", None, None, 100, ("jpg",))[0] == "url_pattern"
    assert image_reason("https://a.org/pixel.gif?u=1", None, None, 100, ("gif",))[0] == "url_pattern"
    assert image_reason("https://a.org/p/photo.svg", None, None, 100, ("jpg",)) == ("format", "svg")
    assert image_reason("https://a.org/p/photo.jpg", 40, 300, 100, ("jpg",))[0] == "declared_too_small"
    assert image_reason("https://a.org/uploads/shared/photo.jpg", 800, 600, 100, ("jpg",)) is None
    assert image_reason("https://a.org/image?id=5", None, None, 100, ("jpg",)) is None


def test_image_filter_removes_positions_and_records_why():
    batch = docs([EN, ("img", "https://a.org/logo.png", None, None), EN,
                  ("img", "https://a.org/photo.jpg", 800, 600), EN])
    out = DocImageFilter()(batch).to_pylist()[0]
    assert out["image_urls"] == [None, None, "https://a.org/photo.jpg", None]
    assert check_interleaving(out["texts"], out["image_urls"]) is None
    meta = json.loads(out["metadata"])
    assert meta["removed_images"] == [{"url": "https://a.org/logo.png", "stage": "doc_images",
                                       "reason": "url_pattern", "detail": "logo", "alt": "a"}]
    assert len(meta["image_info"]) == 4
    judged = DocImageFilter()(batch)  # a Filter that never rejects a document
    assert judged.column(C.REJECT_REASON).null_count == judged.num_rows


def test_consent_rejects_noai_and_strips_images_for_noimageai():
    batch = docs([EN, ("img", "https://a.org/p.jpg", 500, 500)],
                 [EN, ("img", "https://a.org/q.jpg", 500, 500)],
                 [EN, ("img", "https://a.org/r.jpg", 500, 500)])
    metas = [json.loads(m) for m in batch.column("metadata").to_pylist()]
    metas[0]["consent"] = {"noai": True, "noimageai": True, "meta": ["robots: noai"], "header": []}
    metas[1]["consent"] = {"noai": False, "noimageai": True, "meta": [], "header": ["noimageai"]}
    batch = batch.set_column(batch.schema.get_field_index("metadata"), "metadata",
                             pa.array([json.dumps(m) for m in metas]))
    out = DocumentConsent()(batch).to_pylist()
    assert [r[C.REJECT_REASON] for r in out] == ["opt_out_noai", None, None]
    assert out[0][C.REJECT_DETAIL] == "robots: noai"
    assert out[1]["image_urls"] == [None]
    assert json.loads(out[1]["metadata"])["removed_images"][0]["reason"] == "opt_out_noimageai"
    assert out[2]["image_urls"] == [None, "https://a.org/r.jpg"]


def test_language_with_bundled_model_offline():
    out = DocLanguage(languages=["de"])(docs([DE * 2], [EN * 2], ["1234 5678 ###"])).to_pylist()
    assert out[0]["language"] == "de" and out[0]["language_score"] > 0.9
    assert out[0][C.REJECT_REASON] is None
    assert out[1][C.REJECT_REASON] == "language_not_allowed"
    assert out[2][C.REJECT_REASON] in ("language_low_confidence", "language_not_allowed")


def test_word_count_bounds():
    out = DocWordCount(min_words=10, max_words=50)(docs([EN], ["too short"], [EN * 5])).to_pylist()
    assert [r[C.REJECT_REASON] for r in out] == [None, "too_few_words", "too_many_words"]
    assert out[1][C.REJECT_THRESHOLD] == 10


def test_quality_signals_catch_repetition_symbols_and_missing_punctuation():
    assert quality_signals(EN + "\n" + DE, "en")["dup_line_fraction"] == 0
    assert quality_signals(EN + "\n" + EN, "en")["dup_line_fraction"] == 1
    other = ("Volunteers will run a reading club for children every Saturday morning, and the "
             "library hopes that parents join them.")
    batch = docs([EN, DE, other],
                 ["Buy now"] * 10 + [EN],
                 ["#tag #deal #sale #cheap word word " * 5],
                 ["just a line without punctuation"] * 1 + ["another list without end"] * 1)
    batch = batch.append_column("language", pa.array(["en"] * 4))
    out = DocQuality()(batch).to_pylist()
    reasons = [r[C.REJECT_REASON] for r in out]
    assert reasons[0] is None
    assert reasons[1] in ("dup_line_fraction_too_high", "dup_line_char_fraction_too_high")
    assert reasons[2] in ("symbol_ratio_too_high", "punct_line_fraction_too_low",
                          "top_2gram_char_fraction_too_high")
    assert reasons[3] == "punct_line_fraction_too_low"


def test_image_count_bounds():
    img = ("img", "https://a.org/p.jpg", 500, 500)
    out = DocImageCount(min_images=1, max_images=2)(docs([EN], [EN, img], [img, img, img]))
    assert out.column(C.REJECT_REASON).to_pylist() == [
        "too_few_images", None, "too_many_images"]
