"""Broken markup, invalid UTF-8, wrong charsets and consent tags."""

from engine.html import extract_document
from engine.html.consent import page_consent, parse_x_robots_tag
from engine.html.decode import decode_html
from schemas.document import check_interleaving

PARA = "Enough words in this paragraph to make the extractor keep it as main text content. "


def test_broken_markup_still_extracts_in_order():
    html = (f"<html><body><div><p>{PARA * 3}<b>unclosed bold<p>{PARA * 3}"
            "<img src='/a.jpg'><table><tr><td>cell one<td>cell two</table>"
            f"<p>{PARA * 3}</div></div></span></body>").encode()
    doc = extract_document(html, "https://example.org/")
    assert check_interleaving(doc.texts, doc.images) is None
    assert "https://example.org/a.jpg" in doc.image_urls
    assert "unclosed bold" in doc.text()


def test_invalid_utf8_is_replaced_not_fatal():
    html = f"<html><body><article><p>{PARA * 3} caf\xe9 \xff\xfe</p></article></body></html>"
    text, how = decode_html(html.encode("latin-1"), "text/html; charset=utf-8")
    assert "café" in text or "caf" in text
    doc = extract_document(html.encode("latin-1"), "https://example.org/",
                           content_type="text/html; charset=utf-8")
    assert "Enough words" in doc.text()


def test_meta_charset_is_used():
    html = ("<html><head><meta charset='windows-1251'></head><body><article><p>"
            + "Привет мир, это длинный абзац текста для проверки. " * 6
            + "</p></article></body></html>").encode("cp1251")
    doc = extract_document(html, "https://example.org/")
    assert "Привет мир" in doc.text() and "cp1251" in doc.charset


def test_robots_meta_and_header_consent():
    consent = page_consent([("robots", "index, noai"), ("description", "x")], None)
    assert consent.noai and consent.noimageai and consent.meta == ["robots: index, noai"]
    consent = page_consent([], "noimageai")
    assert consent.noimageai and not consent.noai
    assert parse_x_robots_tag(["otherbot: noai", "ccbot: noimageai"]) == ["noimageai"]
    consent = page_consent([("googlebot", "noai")], None)
    assert not consent.noai  # a directive for another crawler does not bind us


def test_consent_found_in_a_page():
    html = (f"<html><head><meta name='robots' content='noimageai'></head><body><article>"
            f"<p>{PARA * 4}</p></article></body></html>").encode()
    doc = extract_document(html, "https://example.org/", x_robots_tag="noai")
    assert doc.consent.noai and doc.consent.header == ["noai"]
