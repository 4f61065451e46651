"""Repair cuts the words carrying unsupported claims and leaves grammatical, tidy sentences."""

import pytest

from recaption.crosscheck.checker import CrossChecker
from recaption.crosscheck.claims import extract_claims
from recaption.crosscheck.decide import Policy
from recaption.crosscheck.repair import is_tidy, repair, tidy
from recaption.crosscheck.verifiers.base import Evidence, Verifier


def is_obj(name):
    return lambda claim: claim.object == name and claim.kind == "object"


def is_text(claim):
    return claim.kind == "text"


def cut(caption, bad):
    claims = extract_claims(caption)
    unsupported = [c for c in claims if bad(c)]
    assert unsupported, "the test must name at least one claim"
    return repair(caption, unsupported, claims)


@pytest.mark.parametrize(
    ("caption", "bad", "expected"),
    [
        ("A dog next to a cat on a couch.", is_obj("cat"), "A dog on a couch."),
        ("A dog with a cat and a ball.", is_obj("cat"), "A dog and a ball."),
        ("A table with a laptop, a cup and a book.", is_obj("cup"), "A table with a laptop and a book."),
        ("A kitchen with an oven, a sink and a toaster.", is_obj("toaster"), "A kitchen with an oven and a sink."),
        ("A dog sits on a couch, next to an elephant.", is_obj("elephant"), "A dog sits on a couch."),
        ("A man holding an umbrella walks a dog.", is_obj("umbrella"), "A man walks a dog."),
        ("A cat sleeps on a bed. A dog is riding a horse.", is_obj("horse"), "A cat sleeps on a bed."),
        ("A cat on a bed. A horse stands in a field.", is_obj("horse"), "A cat on a bed."),
        ("A dog next to a cat that is sleeping, on a bed.", is_obj("cat"), "A dog on a bed."),
        ("Three red cars parked on a street.", lambda c: c.kind in ("count", "attribute"), "Cars parked on a street."),
        ("A pair of shoes near a bed", lambda c: c.kind == "count", "Shoes near a bed."),
        ("A red and white bus on a road.", lambda c: c.value == "red", "A white bus on a road."),
        ("A white and red bus on a road.", lambda c: c.value == "red", "A white bus on a road."),
        ("An old red apple.", lambda c: c.value == "red", "An old apple."),
        ("A red apple.", lambda c: c.value == "red", "An apple."),  # the article follows the new word
        ("A woman rides a bike. The bike is blue.", lambda c: c.kind == "attribute", "A woman rides a bike."),
        ("A shop with a sign reading 'OPEN' and a dog.", is_text, "A shop with a sign and a dog."),
        ("A banner with the words “SALE” hangs above a door.", is_text, "A banner hangs above a door."),
        ("A 'STOP' sign at a corner.", is_text, "A sign at a corner."),
        ("A stop sign that says STOP on a road.", is_text, "A stop sign on a road."),
        ("The word 'EXIT' is painted on a wall. A dog.", is_text, "A dog."),
        ("A dog, a cat and a ball.", is_obj("sports ball"), "A dog and a cat."),  # the list closes again
        ("A table with a laptop, a cup, and a book.", is_obj("book"), "A table with a laptop and a cup."),
        ("Near the door, a man and a dog.", is_obj("dog"), "Near the door, a man."),  # not a list
        ("An elephant and a dog.", is_obj("elephant"), ""),  # the subject: the sentence goes
    ],
)
def test_repair_table(caption, bad, expected):
    repaired = cut(caption, bad)
    assert repaired == expected
    assert repaired == "" or is_tidy(repaired)


@pytest.mark.parametrize(
    ("text", "tidy_text"),
    [
        ("a dog , , on a couch .", "A dog, on a couch."),
        ("A dog with .", "A dog."),
        ("and a cat on a bed.  ", "A cat on a bed."),
        ("A cat. . A dog", "A cat. A dog."),
        ("A elephant near an car.", "An elephant near a car."),
        ("An umbrella and a hour.", "An umbrella and an hour."),
        ("A unicorn and a umbrella.", "A unicorn and an umbrella."),
    ],
)
def test_tidy(text, tidy_text):
    assert tidy(text) == tidy_text
    assert is_tidy(tidy_text)


@pytest.mark.parametrize(
    "bad", ["a dog on a couch.", "A dog  on a couch.", "A dog on a couch", "A dog with.", "A dog , a cat.", "An dog."]
)
def test_is_tidy_catches_leftovers(bad):
    assert not is_tidy(bad)


class ByObject(Verifier):
    """Supports everything but the objects named; counts scored calls to prove the re-check."""

    name = "by_object"
    kinds = frozenset({"object", "attribute", "count", "text"})
    default_thresholds = dict.fromkeys(kinds, 0.5)

    def __init__(self, absent):
        super().__init__()
        self.absent, self.scored = set(absent), []

    def score(self, evidence, claims):
        self.scored.extend(c.phrase for cs in claims for c in cs)
        return [[0.0 if c.object in self.absent else 1.0 for c in cs] for cs in claims]


def test_repaired_caption_is_rechecked_and_repaired_again_when_needed():
    # The first cut removes the cat's sentence; the re-check still finds the horse.
    verifier = ByObject({"cat", "horse"})
    checker = CrossChecker([verifier], Policy(repair_max=0.6, max_rounds=2))
    text = "A dog on a bed. A cat is here. A dog near a horse on a field."
    [result] = checker.check([Evidence("img")], [[("long", text)]])
    variant = result.variants[0]
    assert variant.outcome == "repair" and variant.rounds == 1
    assert result.caption == "A dog on a bed. A dog on a field."
    assert is_tidy(result.caption)
    assert variant.rate_after == 0.0
    assert all(v.verdict == "supported" for v in variant.verdicts_after)
