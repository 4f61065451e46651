"""Page furniture inside the main content is judged by structure, never by wording."""

import json
from pathlib import Path

import pytest

from engine.html import extract_document
from engine.html.boilerplate import PruneRules

PARA = "This paragraph carries enough words to count as real article content for the extractor. "
ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "corpora" / "html-dev"


def page(body: str) -> bytes:
    return (f"<html><head><title>T</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>The heading of the story</h1>{body}</article>"
            "<footer>Imprint</footer></body></html>").encode()


def test_figure_and_caption_text_is_image_material_not_running_text():
    html = page(f"<p>First. {PARA * 3}</p>"
                "<figure><img src='/a.jpg' alt='a'><figcaption>A river at dawn. Photo: Jane Roe"
                "</figcaption></figure>"
                f"<p>Second. {PARA * 3}</p><div class='image-caption'><img src='/b.jpg'>"
                "<span>Credit: Agency Name</span></div>"
                f"<p>Third. {PARA * 3}</p>")
    doc = extract_document(html, "https://example.org/")
    assert "Photo: Jane Roe" not in doc.text() and "Credit: Agency" not in doc.text()
    images = [im for im in doc.images if im]
    assert [im.url for im in images] == ["https://example.org/a.jpg", "https://example.org/b.jpg"]
    assert images[0].figcaption == "A river at dawn. Photo: Jane Roe"
    kept = extract_document(html, "https://example.org/", rules=PruneRules(figure_text=False))
    assert "Credit: Agency Name" in kept.text()  # the rule, not the extractor, removed it


def test_a_table_inside_a_figure_stays_text():
    html = page(f"<p>{PARA * 3}</p><figure><table><tr><td>alpha cell</td><td>beta cell</td></tr>"
                f"<tr><td>gamma</td><td>delta</td></tr></table></figure><p>{PARA * 3}</p>")
    assert "alpha cell | beta cell" in extract_document(html, "https://example.org/").text()


def test_datelines_are_dropped_but_dated_text_and_schedules_are_kept():
    html = page(f"<p>12.03.2021, 14:05 by Jane Roe</p><p>{PARA * 3}</p>"
                f"<p>On 12.03.2021 the council met again. {PARA * 2}</p>"
                "<ul><li>09:30 Opening of the doors</li><li>10:00 The first talk begins</li></ul>"
                f"<p>{PARA * 3}</p>")
    text = extract_document(html, "https://example.org/").text()
    assert "by Jane Roe" not in text
    assert "On 12.03.2021 the council met again" in text
    assert "09:30 Opening of the doors" in text and "10:00 The first talk begins" in text
    off = extract_document(html, "https://example.org/", rules=PruneRules(dateline_words=0))
    assert "by Jane Roe" in off.text()


@pytest.mark.parametrize("short", ["Advertisement", "Read more: the other story",
                                   "Sign up for our newsletter", "Share", "Lesen Sie auch"])
def test_wording_alone_decides_nothing(short):
    neutral = extract_document(page(f"<p>{PARA * 3}</p><p>Quiet harbour morning</p>"
                                    f"<p>{PARA * 3}</p>"), "https://example.org/")
    worded = extract_document(page(f"<p>{PARA * 3}</p><p>{short}</p><p>{PARA * 3}</p>"),
                              "https://example.org/")
    assert len(worded.texts) == len(neutral.texts)
    assert short in worded.text()


def test_no_rule_quotes_the_development_pages():
    """The extraction code holds no boilerplate string of the annotated development pages."""
    if not (DEV / "evaldata.json").exists():
        pytest.skip(f"html-dev corpus absent: {DEV}")
    strings = {s.casefold() for case in json.loads((DEV / "evaldata.json").read_text()).values()
               for s in case["without"] if len(s) >= 8}
    for path in (ROOT / "engine" / "html").glob("*.py"):
        if path.name == "demo_pages.py":  # generated demo content, not rules
            continue
        source = path.read_text().casefold()
        assert not [s for s in strings if s in source], path.name


@pytest.mark.parametrize("line, dateline", [
    ("23.10.2018", True), ("12/31/20 by the desk", True), ("2020-01-13", True),
    ("Posted at 19:49", True), ("3:59 PM Letters", True),
    ("Version 2.0.17 released", False), ("Score 99:99 tonight", False), ("Page 3.45.2018", False),
])
def test_dateline_shapes(line, dateline):
    html = page(f"<p>{PARA * 3}</p><p>{line}</p><p>{PARA * 3}</p>")
    assert (line not in extract_document(html, "https://example.org/").text()) == dateline
