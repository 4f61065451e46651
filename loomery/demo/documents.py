"""The demo's documents: generated article pages in a WARC, their images on the demo site."""

from __future__ import annotations

import random
from pathlib import Path

from engine.html.demo_pages import make_pages
from engine.sources.warc_write import write_warc
from loomery.demo.corpus import draw_scene, encode


def write_documents(site: Path, base_url: str, warc: Path, pages: int = 40) -> Path:
    """Write ``pages`` article pages to ``warc`` and their images under ``site/docimg``.

    One image in seven is left out, so the run shows images removed from their positions with
    the reason (``http_404``) in the document's metadata.
    """
    rng = random.Random(3)
    documents = make_pages(pages, base_url, f"{base_url}/docimg")
    for page in range(pages):
        folder = site / "docimg" / f"p{page}"
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(4):
            if (page * 4 + index) % 7 == 3:
                continue
            image, _ = draw_scene(rng, (rng.choice([480, 640]), rng.choice([360, 480])))
            (folder / f"photo-{index}.jpg").write_bytes(encode(image))
            (folder / f"photo-{index}-small.jpg").write_bytes(encode(image.resize((160, 120))))
    warc.parent.mkdir(parents=True, exist_ok=True)
    write_warc(documents, str(warc))
    return warc
