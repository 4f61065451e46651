"""srcset and sizes parsed by the HTML specification's algorithms: URLs may hold commas."""

import lxml.html
import pytest

from engine.html import extract_document
from engine.html.images import Candidate, best_src, parse_sizes, parse_srcset, source_size_px

PARA = "Enough words in this paragraph to make the extractor keep it as main text content. "


def img(markup: str):
    return lxml.html.fromstring(f"<div>{markup}</div>").find(".//img")


@pytest.mark.parametrize("srcset, expected", [
    # the HTML specification's examples
    ("images/sun.png 1x, images/sun-2x.png 2x",
     [Candidate("images/sun.png", density=1.0), Candidate("images/sun-2x.png", density=2.0)]),
    ("wolf-400.jpg 400w, wolf-800.jpg 800w, wolf-1600.jpg 1600w",
     [Candidate("wolf-400.jpg", 400), Candidate("wolf-800.jpg", 800),
      Candidate("wolf-1600.jpg", 1600)]),
    ("/uploads/100-marie-lloyd.jpg 1x, /uploads/150-marie-lloyd.jpg 1.5x, "
     "/uploads/200-marie-lloyd.jpg 2x", [
         Candidate("/uploads/100-marie-lloyd.jpg", density=1.0),
         Candidate("/uploads/150-marie-lloyd.jpg", density=1.5),
         Candidate("/uploads/200-marie-lloyd.jpg", density=2.0)]),
    # real CDN URL shapes: commas inside the URL
    ("https://res.cloudinary.com/x/image/upload/w_400,h_300,c_fill/cat.jpg 400w",
     [Candidate("https://res.cloudinary.com/x/image/upload/w_400,h_300,c_fill/cat.jpg", 400)]),
    ("https://img.example.com/i/w_320,q_auto,f_auto/a.jpg 320w,"
     "https://img.example.com/i/w_960,q_auto,f_auto/a.jpg 960w", [
         Candidate("https://img.example.com/i/w_320,q_auto,f_auto/a.jpg", 320),
         Candidate("https://img.example.com/i/w_960,q_auto,f_auto/a.jpg", 960)]),
    ("https://cdn.example.net/cdn-cgi/image/width=640,quality=75,format=auto/p.jpg 640w, "
     "https://cdn.example.net/cdn-cgi/image/width=1280,quality=75,format=auto/p.jpg 1280w", [
         Candidate("https://cdn.example.net/cdn-cgi/image/width=640,quality=75,format=auto/p.jpg",
                   640),
         Candidate("https://cdn.example.net/cdn-cgi/image/width=1280,quality=75,format=auto/p.jpg",
                   1280)]),
    ("data:image/png;base64,iVBORw0KGgo=, b.png 2x",
     [Candidate("data:image/png;base64,iVBORw0KGgo="), Candidate("b.png", density=2.0)]),
    # separators and whitespace
    ("a.jpg,b.jpg 2x", [Candidate("a.jpg,b.jpg", density=2.0)]),  # no space: one URL
    ("a.jpg, b.jpg 2x", [Candidate("a.jpg"), Candidate("b.jpg", density=2.0)]),
    (" \n a.jpg \t 100w ,\n b.jpg 200w ,", [Candidate("a.jpg", 100), Candidate("b.jpg", 200)]),
    (",, a.jpg,,, b.jpg", [Candidate("a.jpg"), Candidate("b.jpg")]),
    ("a.jpg 10w 20h", [Candidate("a.jpg", 10, height=20)]),
    ("", []),
])
def test_parse_srcset(srcset, expected):
    assert parse_srcset(srcset) == expected


@pytest.mark.parametrize("srcset", [
    "a.jpg 100w 200w", "a.jpg 0w", "a.jpg -1x", "a.jpg 100w 2x", "a.jpg 20h", "a.jpg 2q",
    "a.jpg 1.5w", "a.jpg (foo) 2x",
])
def test_invalid_descriptors_drop_the_candidate(srcset):
    assert parse_srcset(srcset + ", ok.jpg 3x") == [Candidate("ok.jpg", density=3.0)]


def test_parse_sizes_and_source_size():
    assert parse_sizes("(max-width: 600px) 480px, 800px") == [
        ("(max-width: 600px)", "480px"), (None, "800px")]
    assert parse_sizes("(min-width: 36em) calc(33.3vw - 24px), 100vw") == [
        ("(min-width: 36em)", "calc(33.3vw - 24px)"), (None, "100vw")]
    assert parse_sizes("100%, (max-width: 40em), 50vw") == [(None, "50vw")]  # invalid skipped
    assert source_size_px("(max-width: 600px) 480px, 800px") == 800
    assert source_size_px("(max-width: 40em) 100vw, 50vw", viewport_px=1000) == 500
    assert source_size_px(None, viewport_px=1000) == 1000  # no sizes: 100vw


def test_largest_candidate_wins_with_commas_in_urls():
    node = img("<img src='s.jpg' srcset='https://res.cloudinary.com/x/image/upload/"
               "w_400,h_300,c_fill/cat.jpg 400w, https://res.cloudinary.com/x/image/upload/"
               "w_1200,h_900,c_fill/cat.jpg 1200w' sizes='(max-width: 600px) 100vw, 600px'>")
    assert best_src(node) == "https://res.cloudinary.com/x/image/upload/w_1200,h_900,c_fill/cat.jpg"


def test_density_against_width_uses_the_declared_display_width():
    # 2x of a 400px-wide image is 800 pixels: less than the 1000w source of the picture
    node = img("<picture><source srcset='big.jpg 1000w' sizes='400px'>"
               "<img src='a.jpg' srcset='a2.jpg 2x' width='400'></picture>")
    assert best_src(node) == "big.jpg"
    node = img("<img src='a.jpg' srcset='a.jpg 1x, a3.jpg 3x'>")  # no width known: densest
    assert best_src(node) == "a3.jpg"


def test_cdn_srcset_in_a_real_extraction():
    html = (f"<html><body><article><p>{PARA * 3}</p><img src='/small.jpg' srcset='"
            "https://res.cloudinary.com/x/image/upload/w_400,h_300,c_fill/cat.jpg 400w, "
            "https://res.cloudinary.com/x/image/upload/w_800,h_600,c_fill/cat.jpg 800w' "
            f"alt='cat'><p>{PARA * 3}</p></article></body></html>").encode()
    doc = extract_document(html, "https://example.org/page")
    assert [u for u in doc.image_urls if u] == [
        "https://res.cloudinary.com/x/image/upload/w_800,h_600,c_fill/cat.jpg"]
