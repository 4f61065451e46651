"""Charsets decoded as browsers decode them (WHATWG Encoding Standard): BOM, then the HTTP
header, then a <meta> prescan of the first 1,024 bytes, then detection; labels mapped through
the WHATWG table, so a legacy label decodes with the superset browsers use."""

import codecs
import json

import pyarrow as pa
import pytest

from engine.html import extract_document
from engine.html.decode import decode_html, header_charset
from engine.html.stage import ExtractDocuments

# characters outside the encoding the label names, inside the one browsers use for it
BROWSER_ONLY = {
    "gb2312": "朱镕基总理和喆、堃两位同事",  # 镕 喆 堃: GBK, not GB2312
    "gbk": "朱镕基总理和喆、堃两位同事",
    "euc-kr": "똠방각하 믜 쀍",  # windows-949 (UHC) only
    "shift_jis": "日本語の文章です。①髙橋さんは﨑に住んでいます～",  # ①髙﨑～: windows-31j only
    "iso-8859-9": "“İstanbul” — ğüşıöç €",  # windows-1254: quotes, dash, euro in 0x80-0x9f
    "iso-8859-1": "“Café” — naïve €…",  # windows-1252
    "latin1": "“Café” — naïve €…",
    "ascii": "“quoted” – ‰",
}
# the browsers' codec for each label, to encode the test bytes as a real server would send them
BROWSER_CODEC = {"gb2312": "gb18030", "gbk": "gb18030", "euc-kr": "cp949", "shift_jis": "cp932",
                 "iso-8859-9": "cp1254", "iso-8859-1": "cp1252", "latin1": "cp1252",
                 "ascii": "cp1252", "windows-1251": "cp1251", "koi8-r": "koi8-r"}
PLAIN = {"windows-1251": "Привет, мир: длинный абзац по-русски", "koi8-r": "Съешь же ещё этих"
         " мягких французских булок"}


def page(text: str, head: str = "") -> str:
    return (f"<!doctype html><html><head>{head}<title>t</title></head><body><article>"
            + f"<p>{text}. This paragraph repeats itself to be the main content. </p>" * 6
            + "</article></body></html>")


@pytest.mark.parametrize("label", [*BROWSER_ONLY, *PLAIN])
@pytest.mark.parametrize("where", ["header", "meta", "meta-pragma"])
def test_declared_label_decodes_as_a_browser(label, where):
    text = BROWSER_ONLY.get(label) or PLAIN[label]
    head = {"header": "", "meta": f"<meta charset='{label.upper()}'>",
            "meta-pragma": f"<meta http-equiv='Content-Type' content='text/html; charset={label}'>"
            }[where]
    data = page(text, head).encode(BROWSER_CODEC[label])
    content_type = f"text/html; charset={label}" if where == "header" else "text/html"
    decoded, how = decode_html(data, content_type)
    assert text in decoded
    assert how.source == ("header" if where == "header" else "meta")
    assert how.codec == codecs.lookup(BROWSER_CODEC[label]).name and how.replacements == 0
    if label in BROWSER_ONLY and label != "gbk":  # Python's codec of that label loses them
        assert text not in data.decode(label, errors="replace")


@pytest.mark.parametrize("label", ["gbk", "shift_jis", "euc-kr", "windows-1251", "koi8-r"])
def test_undeclared_pages_are_detected(label):
    text = (BROWSER_ONLY.get(label) or PLAIN[label]) * 3
    decoded, how = decode_html(page(text).encode(BROWSER_CODEC[label]))
    assert how.source == "detected"
    assert text in decoded, how


def test_header_beats_meta_and_bom_beats_both():
    data = page("Привет мир", "<meta charset='koi8-r'>").encode("cp1251")
    decoded, how = decode_html(data, 'text/html; charset="Windows-1251"')
    assert "Привет мир" in decoded and (how.encoding, how.source) == ("windows-1251", "header")
    decoded, how = decode_html(codecs.BOM_UTF8 + page("naïve", "<meta charset='koi8-r'>")
                               .encode(), "text/html; charset=latin1")
    assert "naïve" in decoded and how.source == "bom" and not decoded.startswith("\ufeff")


def test_meta_after_the_first_1024_bytes_is_not_seen():
    filler = "<!-- " + "x" * 1100 + " -->"
    data = page("Привет мир", filler + "<meta charset='windows-1251'>").encode("cp1251")
    decoded, how = decode_html(data)
    assert how.source in ("detected", "default")  # not "meta": the prescan stops at 1,024


def test_labels_browsers_do_not_know_are_ignored():
    data = page("plain ascii text", "<meta charset='utf-32'>").encode()
    assert decode_html(data)[1].source == "utf-8"
    data = page("naïve", "").encode()
    assert decode_html(data, "text/html; charset=x-no-such-label")[1].source == "utf-8"
    # a UTF-16 label found by the prescan means UTF-8 (the bytes were readable as ASCII)
    assert decode_html(page("naïve", "<meta charset='utf-16'>").encode())[1].encoding == "utf-8"


def test_header_only_encodings():
    # x-user-defined maps 0x80-0xff to U+F780-U+F7FF; the replacement encoding (labels of
    # encodings browsers refuse, such as hz-gb-2312) decodes a whole page to one U+FFFD
    decoded, how = decode_html(b"ab\x80", "text/html; charset=x-user-defined")
    assert decoded == "ab\uf780" and how.source == "header"
    decoded, how = decode_html(b"<p>anything</p>", "text/html; charset=hz-gb-2312")
    assert decoded == "\ufffd" and how.encoding == "replacement"


def test_windows_1252_undefined_bytes_are_c1_controls_as_in_browsers():
    decoded, how = decode_html(b"<p>a\x81b\x9dc\x80</p>", "text/html; charset=iso-8859-1")
    assert decoded == "<p>a\x81b\x9dc€</p>" and how.replacements == 0


def test_header_charset_parameter():
    assert header_charset('text/html; charset="gb2312"') == "gb2312"
    assert header_charset("text/html;Charset=EUC-KR;foo=bar") == "EUC-KR"
    assert header_charset("text/html") is None and header_charset(None) is None


def test_extracted_document_records_its_decoding():
    data = page(BROWSER_ONLY["gb2312"], "<meta charset='gb2312'>").encode("gb18030")
    doc = extract_document(data, "https://example.org/")
    assert "朱镕基" in doc.text()
    assert doc.decoding == {"encoding": "gb18030", "codec": "gb18030", "source": "meta",
                            "replacements": 0}
    batch = pa.table({"url": ["https://example.org/"], "html": [data],
                      "content_type": ["text/html"], "x_robots_tag": [None],
                      "warc_record_id": ["<urn:uuid:1>"], "warc_date": ["2024-01-01T00:00:00Z"],
                      "warc_file": ["a.warc.gz"], "warc_offset": [0], "http_status": [200]})
    out = ExtractDocuments()(batch)
    meta = json.loads(out.column("metadata")[0].as_py())
    assert meta["decoding"]["codec"] == "gb18030" and "朱镕基" in out.column("texts")[0].as_py()[0]
