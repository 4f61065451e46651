"""Image URL resolution: srcset, lazy-loading attributes, <picture>, data: URIs."""

import lxml.html

from engine.html import extract_document
from engine.html.images import best_src, describe, parse_srcset

PARA = "Enough words in this paragraph to make the extractor keep it as main text content. "


def img(markup: str):
    return lxml.html.fromstring(f"<div>{markup}</div>").find(".//img")


def test_srcset_largest_width_candidate_wins():
    node = img("<img src='s.jpg' srcset='a-320.jpg 320w, a-1280.jpg 1280w, a-640.jpg 640w'>")
    assert best_src(node) == "a-1280.jpg"


def test_srcset_density_descriptors():
    assert [c.density for c in parse_srcset("x1.jpg, x2.jpg 2x, x3.jpg 3x")] == [None, 2.0, 3.0]
    assert best_src(img("<img srcset='x1.jpg, x2.jpg 2x, x3.jpg 3x'>")) == "x3.jpg"


def test_lazy_loading_attributes_beat_placeholder_src():
    gif = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
    assert best_src(img(f"<img src='{gif}' data-src='/real.jpg'>")) == "/real.jpg"
    assert best_src(img(f"<img src='{gif}' data-lazy-src='/lazy.jpg'>")) == "/lazy.jpg"
    assert best_src(img(f"<img src='{gif}' data-srcset='/s.jpg 300w, /l.jpg 900w'>")) == "/l.jpg"


def test_picture_sources_are_candidates():
    node = img("<picture><source srcset='big.webp 1600w, mid.webp 800w' type='image/webp'>"
               "<img src='fallback.jpg'></picture>")
    assert best_src(node) == "big.webp"


def test_describe_resolves_and_reads_declared_size():
    info = describe(img("<img src='../p.png' width='40' height='30px' alt=' a '>"),
                    "https://example.org/x/y/page.html")
    assert info.url == "https://example.org/x/p.png"
    assert (info.width, info.height, info.alt) == (40, 30, "a")


def test_lazy_and_srcset_images_resolved_in_a_real_extraction():
    html = (f"<html><body><article><p>{PARA * 3}</p>"
            "<img src='data:image/gif;base64,R0lGOD' data-src='/lazy/photo.jpg' alt='lazy'>"
            f"<p>{PARA * 3}</p><img srcset='//cdn.example.com/s.jpg 400w, "
            "//cdn.example.com/l.jpg 1200w' src='/s.jpg'>"
            f"<p>{PARA * 3}</p></article></body></html>").encode()
    doc = extract_document(html, "https://example.org/page")
    urls = [u for u in doc.image_urls if u]
    assert urls == ["https://example.org/lazy/photo.jpg", "https://cdn.example.com/l.jpg"]
