"""Caption checks: length in words and characters, and junk (empty, file names, bare URLs,
repeated characters)."""

from __future__ import annotations

import re

import pyarrow as pa

from engine.stage import Filter, Resources, Verdicts, set_columns

FILENAME = re.compile(
    r"^\s*[\w\-. ()\[\]]{0,80}\.(jpe?g|png|gif|webp|bmp|tiff?|heic|avif)\s*$|"
    r"^\s*(img|dsc|dscn|dcim|pxl|screenshot|image|photo|pic|file)[\s_\-]*\d[\w\-]*\s*$",
    re.IGNORECASE,
)
URL_ONLY = re.compile(r"^\s*((https?|ftp)://|www\.)\S+\s*$", re.IGNORECASE)
REPEATED = re.compile(r"(.)\1{7,}", re.DOTALL)


class CaptionLength(Filter):
    """Rejects captions with fewer than ``min_words`` words (``too_few_words``), more than
    ``max_words`` (``too_many_words``), or outside ``min_chars``..``max_chars``
    (``too_short``/``too_long``). A missing caption counts as empty."""

    score_columns = {"caption_words": (0.0, 100.0)}

    def __init__(self, *, min_words: int = 0, max_words: int | None = None, min_chars: int = 0,
                 max_chars: int | None = None, column: str = "caption", **kw):
        super().__init__(resources=Resources(num_cpus=0.5), **kw)
        self.min_words, self.max_words = min_words, max_words
        self.min_chars, self.max_chars = min_chars, max_chars
        self.column = column

    def __call__(self, batch: pa.Table) -> pa.Table:
        texts = [t or "" for t in batch.column(self.column).to_pylist()]
        words = [len(t.split()) for t in texts]
        verdicts = Verdicts()
        max_words = float("inf") if self.max_words is None else self.max_words
        max_chars = float("inf") if self.max_chars is None else self.max_chars
        for text, n in zip(texts, words, strict=True):  # the first check a caption fails names it
            chars = len(text.strip())
            if n < self.min_words:
                verdicts.reject("too_few_words", n, self.min_words)
            elif n > max_words:
                verdicts.reject("too_many_words", n, self.max_words)
            elif chars < self.min_chars:
                verdicts.reject("too_short", chars, self.min_chars)
            elif chars > max_chars:
                verdicts.reject("too_long", chars, self.max_chars)
            else:
                verdicts.keep()
        batch = set_columns(batch, {"caption_words": pa.array(words, pa.int32())})
        return self.verdict(batch, **verdicts.columns())


def junk_reason(text: str | None) -> str | None:
    """Why ``text`` is junk as a caption, or None: ``empty_caption``, ``filename_caption``,
    ``url_caption``, ``repeated_chars``, ``no_letters``."""
    if text is None or not text.strip():
        return "empty_caption"
    if URL_ONLY.match(text):
        return "url_caption"
    if FILENAME.match(text):
        return "filename_caption"
    if REPEATED.search(text):
        return "repeated_chars"
    if not any(ch.isalpha() for ch in text):
        return "no_letters"
    return None


class CaptionJunk(Filter):
    """Rejects captions that carry no description: see :func:`junk_reason`."""

    def __init__(self, *, column: str = "caption", **kw):
        super().__init__(resources=Resources(num_cpus=0.5), **kw)
        self.column = column

    def __call__(self, batch: pa.Table) -> pa.Table:
        reasons = [junk_reason(t) for t in batch.column(self.column).to_pylist()]
        return self.verdict(batch, reasons)
