"""HTML -> interleaved document: reading order, main content, interleaving invariant."""

import re

import pytest

from engine.html import ExtractionError, extract_document
from schemas.document import check_interleaving

PARA = "This paragraph carries enough words to count as real article content for the extractor. "


def page(body: str, head: str = "") -> bytes:
    return (f"<html><head><title>T</title>{head}</head><body>"
            "<nav><a href='/'>Home</a> <a href='/about'>About us</a></nav>"
            f"<article>{body}</article>"
            "<footer>Copyright 2024 Example Corp. Impressum. Datenschutz.</footer>"
            "</body></html>").encode()


def article_with_images() -> bytes:
    return page(
        f"<h1>The heading of the story</h1><p>First. {PARA * 3}</p>"
        "<img src='/img/first.jpg' alt='first alt' title='first title'>"
        f"<p>Second. {PARA * 3}</p>"
        "<figure><img src='second.png' alt='second alt'>"
        "<figcaption>The caption of the second image</figcaption></figure>"
        f"<p>Third. {PARA * 3}</p><ul><li>One list item with words</li>"
        "<li>Another list item with words</li></ul>"
    )


def test_reading_order_keeps_images_between_their_paragraphs():
    doc = extract_document(article_with_images(), "https://example.org/news/story.html")
    assert check_interleaving(doc.texts, doc.images) is None
    seq = [("T:" + t.split(".")[0][:20]) if t else "I:" + im.url.rsplit("/", 1)[-1]
           for t, im in zip(doc.texts, doc.images, strict=True)]
    first, second, third = (seq.index(s) for s in ("T:First", "T:Second", "T:Third"))
    assert first < seq.index("I:first.jpg") < second < seq.index("I:second.png") < third
    items = [t for t in doc.texts if t and "list item" in t]
    assert items == ["One list item with words", "Another list item with words"]


def test_relative_urls_alt_title_and_figcaption():
    doc = extract_document(article_with_images(), "https://example.org/news/story.html")
    images = {im.url: im for im in doc.images if im}
    first = images["https://example.org/img/first.jpg"]
    assert (first.alt, first.title) == ("first alt", "first title")
    second = images["https://example.org/news/second.png"]
    assert second.figcaption == "The caption of the second image"


def test_boilerplate_outside_the_article_is_dropped():
    doc = extract_document(article_with_images(), "https://example.org/")
    text = doc.text()
    assert "About us" not in text and "Impressum" not in text
    assert "The heading of the story" in text


def test_base_href_wins_over_page_url():
    html = page(f"<p>{PARA * 4}</p><img src='pic.jpg'><p>{PARA * 4}</p>",
                head="<base href='https://cdn.example.net/assets/'>")
    doc = extract_document(html, "https://example.org/a/b.html")
    assert doc.image_urls.count("https://cdn.example.net/assets/pic.jpg") == 1


def test_empty_and_contentless_pages_are_rejected_with_a_reason():
    with pytest.raises(ExtractionError) as err:
        extract_document(b"   ", "https://example.org/")
    assert err.value.reason == "empty_page"
    with pytest.raises(ExtractionError) as err:
        extract_document(b"<html><body><script>var x;</script></body></html>", "https://x.org/")
    assert err.value.reason == "no_main_content"


def test_inline_image_does_not_cut_its_sentence():
    html = page(f"<p>{PARA * 3} Given a set of <img src='/math/x.png' alt='x'> objects, "
                f"we compute. {PARA}</p>")
    doc = extract_document(html, "https://example.org/")
    position = doc.image_urls.index("https://example.org/math/x.png")
    before = " ".join(doc.texts[position - 1].split())
    assert "Given a set of objects, we compute." in before  # the sentence stays whole
    assert doc.texts[position] is None


def test_table_is_one_text_item_with_rows_and_cells():
    html = page(f"<p>{PARA * 3}</p><table><tr><th>Name</th><th>Age</th></tr>"
                f"<tr><td>Ann <b>Lee</b></td><td>31</td></tr></table><p>{PARA * 3}</p>")
    doc = extract_document(html, "https://example.org/")
    assert "Name | Age\nAnn Lee | 31" in doc.texts


def test_generated_demo_pages_extract_with_every_image_in_order():
    from engine.html.demo_pages import make_pages

    pages = make_pages(12, "http://site.test", "http://img.test")
    assert make_pages(12, "http://site.test", "http://img.test") == pages  # deterministic
    for url, html, _ in pages:
        doc = extract_document(html, url)
        page = url.rsplit("/", 1)[-1].split(".")[0]
        count = len(set(re.findall(rb"photo-(\d+)", html)))
        expected = [f"http://img.test/p{page}/photo-{i}.jpg" for i in range(count)]
        assert [u for u in doc.image_urls if u] == expected, url  # largest srcset, lazy src
        assert "Newsletter" not in doc.text() and "Imprint" not in doc.text()
    noai = [extract_document(h, u).consent for u, h, _ in pages]
    assert noai[9].noai and noai[10].noimageai and not noai[10].noai
