"""Output hygiene: preambles stripped; refusals, empty and truncated replies are failures."""

import pytest

from recaption.hygiene import EMPTY, OK, REFUSAL, REPETITIVE, TRUNCATED, clean_caption


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The image shows a dog on a beach.", "A dog on a beach."),
        ("In this image, a red car is parked.", "A red car is parked."),
        ("This photograph depicts two children playing.", "Two children playing."),
        ('Sure! Here is a short caption: "A cat asleep on a sofa."', "A cat asleep on a sofa."),
        ("Caption: a bowl of ramen.", "A bowl of ramen."),
        ("  A lighthouse\n at dusk.  ", "A lighthouse at dusk."),
        ("I can see a bicycle leaning on a wall.", "A bicycle leaning on a wall."),
        ("There is a man with a hat.", "There is a man with a hat."),
        ("Imagery of the Alps in winter.", "Imagery of the Alps in winter."),
    ],
)
def test_preambles_are_stripped_and_the_rest_kept(raw, expected):
    cleaned = clean_caption(raw)
    assert (cleaned.text, cleaned.status) == (expected, OK)


@pytest.mark.parametrize(
    "raw",
    [
        "I'm sorry, but I can't help with identifying people in images.",
        "As an AI, I cannot see images.",
        "Unfortunately, I am unable to describe this image.",
        "There is no image provided.",
    ],
)
def test_refusals_are_failures(raw):
    cleaned = clean_caption(raw)
    assert cleaned.text is None and cleaned.status == REFUSAL and cleaned.detail


@pytest.mark.parametrize("raw", [None, "", "   ", "...", "The image shows", '""'])
def test_empty_replies_are_failures(raw):
    cleaned = clean_caption(raw)
    assert cleaned.text is None and cleaned.status == EMPTY


def test_truncation_needs_the_token_limit_and_no_sentence_end():
    cut = clean_caption("A dog running across the", hit_token_limit=True)
    assert cut.text is None and cut.status == TRUNCATED and "running" in cut.detail
    assert clean_caption("A dog running across the", hit_token_limit=False).status == OK
    assert clean_caption("A dog running across the field.", hit_token_limit=True).status == OK
    assert clean_caption('He said "stop."', hit_token_limit=True).status == OK


def test_decoding_loops_are_failures_but_long_fluent_captions_are_not():
    loop = clean_caption("A dog and a dog and a dog and a dog and a dog.")
    assert loop.text is None and loop.status == REPETITIVE
    assert clean_caption("! flowers ! flowers ! ! ! ! ! ! ! ! ! ! ! !").status == REPETITIVE
    dense = (
        "A golden retriever runs along a wet sandy beach at sunset. Waves break behind it, "
        "and a red ball lies near the water. The sky is orange with thin clouds."
    )
    assert clean_caption(dense).status == OK
