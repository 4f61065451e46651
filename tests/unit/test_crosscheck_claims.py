"""Claim extraction over a table of captions: plurals, synonyms, counts, quotes, negations."""

import pytest

from recaption.crosscheck.claims import extract_claims, sentence_spans
from recaption.crosscheck.vocab import load_vocabulary


def present(caption):
    return sorted({c.object for c in extract_claims(caption) if c.kind == "object" and not c.negated})


def absent(caption):
    return sorted({c.object for c in extract_claims(caption) if c.kind == "object" and c.negated})


def of_kind(caption, kind):
    return [(c.object, c.attribute, c.value) if kind != "text" else c.value
            for c in extract_claims(caption) if c.kind == kind]


@pytest.mark.parametrize(
    ("caption", "objects"),
    [
        ("A dog sleeps on a couch.", ["couch", "dog"]),
        ("Two puppies and a kitten on a sofa.", ["cat", "couch", "dog"]),  # synonyms
        ("Three men and two women walk past buses.", ["bus", "person"]),  # irregular plurals
        ("A fire hydrant next to a stop sign.", ["fire hydrant", "stop sign"]),  # multi-word
        ("Fire hydrants and teddy bears.", ["fire hydrant", "teddy bear"]),  # multi-word plurals
        ("A man eats a hot dog.", ["hot dog", "person"]),  # "hot dog" is not a dog
        ("Knives, forks and wine glasses on a table.", ["dining table", "fork", "knife", "wine glass"]),
        ("A pair of skis and a T-shirt.", ["shirt", "skis"]),
        ("A dog bed by the window.", ["bed", "window"]),  # "dog" only modifies "bed"
        ("People watch a game.", ["person"]),  # "watch" as a verb is no object
        ("A man checks his watch.", ["person", "watch"]),
        ("An orange cat beside an orange.", ["cat", "orange"]),  # colour vs fruit
        ("A photograph of mice.", ["mouse", "picture"]),
    ],
)
def test_objects(caption, objects):
    assert present(caption) == objects


@pytest.mark.parametrize(
    ("caption", "present_objects", "absent_objects"),
    [
        ("There are no people in the street.", ["road"], ["person"]),
        ("A house without a roof.", ["building"], ["roof"]),
        ("There are no cars or bikes, just a dog.", ["dog"], ["bicycle", "car"]),
        ("The man is not wearing a hat.", ["person"], ["hat"]),
        ("No dogs, but a cat is on the bed.", ["bed", "cat"], ["dog"]),
        ("An empty room with nobody in it.", [], ["person"]),
    ],
)
def test_negations_are_not_claims_of_presence(caption, present_objects, absent_objects):
    assert present(caption) == present_objects
    assert absent(caption) == absent_objects


@pytest.mark.parametrize(
    ("caption", "counts"),
    [
        ("Two dogs and 3 cats.", [("dog", None, 2), ("cat", None, 3)]),
        ("Three large brown bears.", [("bear", None, 3)]),
        ("A pair of shoes and a dozen eggs.", [("shoe", None, 2), ("egg", None, 12)]),
        ("One horse and several sheep.", [("horse", None, 1)]),  # vague quantities are no count
        ("Many people and some birds.", []),
        ("No two cars are alike.", []),  # a negated object carries no count
    ],
)
def test_counts(caption, counts):
    assert of_kind(caption, "count") == counts


@pytest.mark.parametrize(
    ("caption", "attributes"),
    [
        ("A red car.", [("car", "colour", "red")]),
        ("A big red and white bus.", [("bus", "size", "large"), ("bus", "colour", "red"), ("bus", "colour", "white")]),
        ("A wooden table and a grey cat.", [("dining table", "material", "wood"), ("cat", "colour", "gray")]),
        ("The car is dark blue.", [("car", "colour", "blue")]),  # predicate, with an intensifier
        ("A dog chasing a red ball.", [("sports ball", "colour", "red")]),  # bound to its own noun
    ],
)
def test_attributes_bind_to_their_object(caption, attributes):
    assert of_kind(caption, "attribute") == attributes


@pytest.mark.parametrize(
    ("caption", "texts"),
    [
        ("A sign reading 'OPEN' on a door.", ["OPEN"]),
        ('A banner with the words "GRAND OPENING".', ["GRAND OPENING"]),
        ("A poster with the words “SALE” and ‘50% OFF’.", ["SALE", "50% OFF"]),
        ("A stop sign that says STOP.", ["STOP"]),
        ("A sign that reads: NO PARKING.", ["NO PARKING"]),
        ("The dog's bowl and the cat's toy.", []),  # apostrophes are not quotes
        ("A sign that says hello.", []),  # lower-case unquoted words are not a claim
    ],
)
def test_text_claims(caption, texts):
    assert of_kind(caption, "text") == texts


def test_quoted_text_is_not_scanned_for_objects():
    assert present("A shop sign reading 'HOT DOGS AND PIZZA'.") == ["sign"]


def test_spans_point_at_the_words():
    caption = "Two large brown dogs near a sign reading 'OPEN'."
    for claim in extract_claims(caption):
        span = caption[claim.start:claim.end].lower()
        if claim.kind == "object":
            assert span == "dogs" or span == "sign"
        elif claim.kind == "count":
            assert span == "two"
        elif claim.kind == "attribute":
            assert span in ("large", "brown")
        else:
            assert span == "open" and caption[claim.np_start:claim.np_end] == "reading 'OPEN'"
    dogs = next(c for c in extract_claims(caption) if c.object == "dog")
    assert caption[dogs.np_start:dogs.np_end] == "Two large brown dogs"


def test_sentence_spans_ignore_periods_inside_quotes():
    text = "A sign reads 'NO. 5'. A dog sits."
    assert [text[s:e] for s, e in sentence_spans(text)] == ["A sign reads 'NO. 5'.", "A dog sits."]
    claims = extract_claims(text)
    assert [c.sentence for c in claims if c.kind == "object"] == [0, 1]


def test_vocabulary_covers_coco_and_more():
    vocab = load_vocabulary()
    sources = [s for s in vocab.sources.values()]
    assert sources.count("coco") == 80
    assert len(vocab.sources) > 150
    for name in ("person", "traffic light", "hair drier", "toothbrush", "cell phone", "dining table"):
        assert vocab.canonical(name) == name
    assert vocab.canonical("people") == "person" and vocab.canonical("sofas") == "couch"
    assert vocab.canonical("unicorn") is None
