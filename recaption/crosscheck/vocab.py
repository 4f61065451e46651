"""The shipped vocabularies claim extraction reads: object names, attributes, numbers, cues.

Everything lives in data files under ``recaption/crosscheck/data/`` so that a vocabulary can be
extended without touching code: ``objects.tsv`` (canonical name, synonyms, source), ``plurals.tsv``
(irregular plurals), ``ambiguous.txt`` (nouns that are also verbs) and ``attributes.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

_WORD = re.compile(r"[a-z0-9]+")


def words_of(phrase: str) -> tuple[str, ...]:
    """Lower-case word tuple of a phrase; hyphens and spaces both separate words."""
    return tuple(_WORD.findall(phrase.lower()))


def pluralize(word: str, irregular: dict[str, str]) -> str:
    """English plural of one noun (``irregular`` wins over the spelling rules)."""
    if word in irregular:
        return irregular[word]
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + "s"


@dataclass(frozen=True)
class ObjectName:
    """One surface form of an object: ``canonical`` is the class it names."""

    canonical: str
    surface: tuple[str, ...]
    plural: bool
    singular: tuple[str, ...]


@dataclass
class Vocabulary:
    """Lookup tables for claim extraction; build it with :func:`load_vocabulary`."""

    objects: dict[tuple[str, ...], ObjectName]
    sources: dict[str, str]
    ambiguous: frozenset[str]
    colours: dict[str, str]
    sizes: dict[str, str]
    materials: dict[str, str]
    size_opposites: frozenset[frozenset[str]]
    numbers: dict[str, int]
    vague: frozenset[str]
    negations: frozenset[str]
    determiners: frozenset[str]
    text_cues: frozenset[str]
    irregular: dict[str, str]
    max_words: int = field(init=False)
    first_words: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.max_words = max(len(k) for k in self.objects)
        self.first_words = frozenset(k[0] for k in self.objects)

    def canonical(self, name: str) -> str | None:
        """The class a name (canonical, synonym, singular or plural) belongs to, or None."""
        entry = self.objects.get(words_of(name))
        return entry.canonical if entry else None

    def forms(self, phrase: str) -> tuple[str, str]:
        """(singular, plural) of an object phrase in the vocabulary ("dogs" -> dog, dogs)."""
        entry = self.objects.get(words_of(phrase))
        if entry is None:
            return phrase, phrase
        *head, last = entry.singular
        return " ".join(entry.singular), " ".join([*head, pluralize(last, self.irregular)])

    def attribute(self, word: str) -> tuple[str, str] | None:
        """``(type, value)`` of an attribute word (colour before material before size)."""
        for kind, table in (("colour", self.colours), ("material", self.materials),
                            ("size", self.sizes)):
            if word in table:
                return kind, table[word]
        return None

    def contradicts(self, kind: str, a: str, b: str) -> bool:
        """True when two normalised values of one attribute type cannot both hold."""
        if a == b:
            return False
        if kind == "size":
            return frozenset((a, b)) in self.size_opposites
        return True


def _rows(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


@cache
def load_vocabulary(data_dir: str | None = None) -> Vocabulary:
    """Read the vocabulary files (cached per directory); ``data_dir`` defaults to the shipped one."""
    root = Path(data_dir) if data_dir else DATA_DIR
    irregular = {row[0]: row[1] for row in _rows(root / "plurals.tsv")}
    objects: dict[tuple[str, ...], ObjectName] = {}
    sources: dict[str, str] = {}
    for row in _rows(root / "objects.tsv"):
        canonical, synonyms, source = (row + ["", ""])[:3]
        sources[canonical] = source
        for name in [canonical, *filter(None, synonyms.split(","))]:
            surface = words_of(name)
            if not surface:
                continue
            plural = (*surface[:-1], pluralize(surface[-1], irregular))
            # The first entry wins: a canonical name is never re-assigned by a later synonym.
            objects.setdefault(surface, ObjectName(canonical, surface, plural == surface, surface))
            objects.setdefault(plural, ObjectName(canonical, plural, True, surface))
    ambiguous = {
        line.strip() for line in (root / "ambiguous.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    ambiguous |= {pluralize(word, irregular) for word in ambiguous}
    attrs = json.loads((root / "attributes.json").read_text(encoding="utf-8"))
    return Vocabulary(
        objects=objects,
        sources=sources,
        ambiguous=frozenset(ambiguous),
        colours=attrs["colour"],
        sizes=attrs["size"],
        materials=attrs["material"],
        size_opposites=frozenset(frozenset(p) for p in attrs["size_opposites"]),
        numbers=attrs["numbers"],
        vague=frozenset(attrs["vague_quantities"]),
        negations=frozenset(attrs["negations"]),
        determiners=frozenset(attrs["determiners"]),
        text_cues=frozenset(attrs["text_cues"]),
        irregular=irregular,
    )
