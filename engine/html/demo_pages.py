"""Generated web pages for the demo and tests: articles with navigation, boilerplate, images in
the text (plain, lazy-loaded, srcset, in figures), and a few pages that opt out of AI use.

``make_pages(n, site, image_base)`` returns ``(url, html, http_headers)`` triples, ready for
:func:`engine.sources.warc_write.write_warc`; the same arguments always give the same pages.
"""

from __future__ import annotations

import random

_WORDS = (
    "river", "city", "garden", "library", "morning", "market", "winter", "bridge", "station",
    "harbour", "museum", "festival", "council", "school", "forest", "valley", "village",
    "mountain", "summer", "evening", "teacher", "baker", "painter", "music", "street",
    "lantern", "season", "journey", "history", "people",
)
_VERBS = (
    "opened", "visited", "painted", "built", "repaired", "celebrated", "described", "planted",
    "studied",
)


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 12))]
    words.insert(2, rng.choice(_VERBS))
    return "The " + " ".join(words) + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def _image(rng: random.Random, base: str, page: int, index: int) -> str:
    name = f"{base}/p{page}/photo-{index}.jpg"
    style = rng.choice(("plain", "lazy", "srcset", "figure"))
    if style == "lazy":
        return (f"<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw=' data-src='{name}' "
                f"alt='photo {index} of page {page}'>")
    if style == "srcset":
        small = name.replace(".jpg", "-small.jpg")
        return f"<img src='{small}' srcset='{small} 320w, {name} 1280w' alt='photo {index}'>"
    if style == "figure":
        return (f"<figure><img src='{name}' alt='photo {index}'><figcaption>Figure {index} "
                f"of page {page}</figcaption></figure>")
    return f"<img src='{name}' alt='photo {index}' width='640' height='480'>"


def make_page(page: int, site: str, image_base: str, *, opt_out: str | None = None,
              seed: int = 0) -> tuple[str, bytes, list[tuple[str, str]]]:
    """One article page; ``opt_out`` puts that robots directive in a ``<meta>`` tag."""
    rng = random.Random(seed * 100_003 + page)
    body = [f"<h1>Story {page}: the {rng.choice(_WORDS)} {rng.choice(_WORDS)}</h1>"]
    for index in range(rng.randint(2, 4)):
        body.append(f"<p>{_paragraph(rng)}</p>")
        body.append(_image(rng, image_base, page, index))
    body.append(f"<p>{_paragraph(rng)}</p>")
    meta = f"<meta name='robots' content='{opt_out}'>" if opt_out else ""
    html = (f"<!doctype html><html><head><meta charset='utf-8'><title>Story {page}</title>{meta}"
            "</head><body><nav><a href='/'>Home</a> <a href='/news'>News</a> "
            "<a href='/about'>About</a></nav>"
            f"<article>{''.join(body)}</article>"
            "<aside><h3>Newsletter</h3><p>Sign up for our newsletter.</p></aside>"
            "<footer>Imprint · Privacy · Contact</footer></body></html>")
    return f"{site}/story/{page}.html", html.encode("utf-8"), []


def make_pages(count: int, site: str, image_base: str, *, seed: int = 0,
               opt_out_every: int = 10) -> list[tuple[str, bytes, list[tuple[str, str]]]]:
    """``count`` pages; every ``opt_out_every``-th one carries ``noai`` (and the one after it
    ``noimageai``) so that consent handling shows in the demo's rejects and metadata."""
    pages = []
    for page in range(count):
        opt_out = None
        if opt_out_every and page % opt_out_every == opt_out_every - 1:
            opt_out = "noai"
        elif opt_out_every and page % opt_out_every == 0 and page:
            opt_out = "noimageai"
        pages.append(make_page(page, site, image_base, opt_out=opt_out, seed=seed))
    return pages
