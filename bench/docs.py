"""Benchmark: main-text quality and speed of loomery's interleaved extractor on html-dev,
against ``trafilatura.extract(include_tables=True, include_comments=False)`` in the same run.

Quality: the pooled with/without metric of ``../shared/corpora/html-dev/evaldata.json`` (as in
trafilatura's own evaluation): each ``with`` string found in a page's extracted text is a true
positive, each one missing a false negative; each ``without`` string found is a false positive.
Our text is the document's text items joined one per line (images take positions of their own
and add no text). Precision, recall and F1 are pooled over all pages.

Speed: pages/s of ``engine.html.extract_document`` (bytes -> interleaved document with images
resolved) against ``trafilatura.extract`` alone on the same bytes, each over ``--rounds`` passes;
``ratio`` is ours/baseline for F1, ``speed_ratio`` for pages/s.

    python bench/docs.py [--corpus ../shared/corpora/html-dev] [--rounds 2] [--limit N]

Prints one JSON line at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.html import ExtractionError, extract_document  # noqa: E402


def score(texts: list[str | None], cases: list[dict]) -> dict[str, float]:
    """Pooled precision/recall/F1 of extracted texts against the with/without strings."""
    tp = fn = fp = 0
    for text, case in zip(texts, cases, strict=True):
        text = text or ""
        hits = [s in text for s in case["with"]]
        tp += sum(hits)
        fn += len(hits) - sum(hits)
        fp += sum(s in text for s in case["without"])
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def ours(data: bytes, url: str):
    """The interleaved document, or None when the page is rejected."""
    try:
        return extract_document(data, url)
    except ExtractionError:
        return None


def baseline(data: bytes, url: str) -> str | None:
    import trafilatura

    return trafilatura.extract(data, url=url, include_tables=True, include_comments=False)


def timed(fn, pages: list[tuple[bytes, str]], rounds: int) -> tuple[list, float]:
    out = [fn(data, url) for data, url in pages]  # warm-up pass, also the scored output
    start = time.perf_counter()
    for _ in range(rounds):
        for data, url in pages:
            fn(data, url)
    return out, len(pages) * rounds / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpora" / "html-dev"))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="first N annotated pages only")
    args = parser.parse_args()
    folder = Path(args.corpus)
    evaldata = json.loads((folder / "evaldata.json").read_text())
    items = sorted(evaldata.items())[: args.limit or None]
    pages = [((folder / case["file"]).read_bytes(), url) for url, case in items]
    cases = [case for _, case in items]

    base_texts, base_speed = timed(baseline, pages, args.rounds)
    docs, our_speed = timed(ours, pages, args.rounds)
    our_texts = [doc.text() if doc else None for doc in docs]
    mine, theirs = score(our_texts, cases), score(base_texts, cases)
    print(json.dumps({
        "bench": "docs_extraction_html_dev",
        "metric": "pooled main-text F1 (with/without strings)",
        "pages": len(pages),
        "ours": mine["f1"],
        "baseline": theirs["f1"],
        "baseline_name": "trafilatura.extract(include_tables=True, include_comments=False)",
        "ratio": round(mine["f1"] / theirs["f1"], 4) if theirs["f1"] else None,
        "ours_detail": mine,
        "baseline_detail": theirs,
        "ours_pages_per_s": round(our_speed, 2),
        "baseline_pages_per_s": round(base_speed, 2),
        "speed_ratio": round(our_speed / base_speed, 3),
        "images_in_place": sum(1 for d in docs if d for im in d.images if im is not None),
    }))


if __name__ == "__main__":
    main()
