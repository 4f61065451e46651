"""The OCR verifier for real: rapidocr reads Pillow-rendered text; captions quote it right or wrong."""

import io

import pytest
from PIL import Image, ImageDraw, ImageFont

from recaption.crosscheck.checker import CrossChecker
from recaption.crosscheck.claims import extract_claims
from recaption.crosscheck.stage import decode_evidence
from recaption.crosscheck.verifiers.fuzzy import normalize_text, partial_ratio, text_support
from recaption.crosscheck.verifiers.ocr import OcrVerifier

pytest.importorskip("rapidocr")


def rendered(*lines, size=(640, 240)):
    """PNG bytes of black text lines on white, in Pillow's own scalable font."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=44)
    for n, line in enumerate(lines):
        draw.text((30, 40 + 90 * n), line, font=font, fill="black")
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def ocr():
    verifier = OcrVerifier()
    verifier.setup()
    return verifier


@pytest.fixture(scope="module")
def images():
    """Each image decoded once for the module: OCR reads each once (the reading is cached)."""
    raw = {"open": rendered("GRAND OPENING"), "sale": rendered("SUMMER SALE", "50% OFF"), "blank": rendered()}
    return {name: decode_evidence(data, None) for name, data in raw.items()} | {"raw": raw}


def score(ocr, evidence, caption):
    claims = [c for c in extract_claims(caption) if c.kind == "text"]
    [checks] = ocr.check([evidence], [claims])
    return {c.value: chk.score if chk else None for c, chk in zip(claims, checks, strict=True)}, evidence


def test_ocr_reads_rendered_text(ocr, images):
    lines = ocr.read(images["sale"])
    joined = normalize_text(" ".join(lines))
    assert "summersale" in joined and "50off" in joined


def test_right_quote_is_supported_wrong_quote_is_not(ocr, images):
    right, _ = score(ocr, images["open"], "A shop window with a sign reading 'GRAND OPENING'.")
    wrong, _ = score(ocr, images["open"], "A shop window with a sign reading 'CLOSED FOR LUNCH'.")
    assert right["GRAND OPENING"] >= ocr.thresholds["text"]
    assert wrong["CLOSED FOR LUNCH"] < ocr.thresholds["text"]


def test_quotes_match_case_and_spacing_loosely_and_across_lines(ocr, images):
    scores, _ = score(ocr, images["sale"], 'A poster saying "Summer sale" with the words “50 % off”.')
    assert scores["Summer sale"] >= 0.8 and scores["50 % off"] >= 0.8
    partial, _ = score(ocr, images["sale"], "A poster that says SUMMER SALE 50% OFF.")
    assert partial["SUMMER SALE 50% OFF"] >= 0.8  # the two lines joined


def test_text_claimed_on_an_image_without_text_scores_zero(ocr, images):
    scores, evidence = score(ocr, images["blank"], "A sign that says 'HELLO'.")
    assert scores["HELLO"] == 0.0 and ocr.read(evidence) == []


def test_ocr_runs_once_per_image_and_only_for_text_claims(ocr, images):
    evidence = decode_evidence(images["raw"]["blank"], None)
    ocr.check([evidence], [extract_claims("A dog on a couch.")])
    assert "ocr:reading" not in evidence.cache
    ocr.check([evidence], [extract_claims("A sign reading 'OPEN'.")])
    first = evidence.cache["ocr:reading"]
    ocr.check([evidence], [extract_claims("A sign reading 'GRAND'.")])
    assert evidence.cache["ocr:reading"] is first


def test_end_to_end_wrong_quote_is_repaired_right_one_kept(ocr, images):
    checker = CrossChecker([ocr])
    evidence = [images["open"], images["open"]]
    results = checker.check(
        evidence,
        [[("long", "A storefront with a banner reading 'GRAND OPENING'.")],
         [("long", "A storefront with a banner reading 'CLOSED'.")]],
    )
    assert results[0].action == "keep"
    assert results[1].action == "repair" and results[1].caption == "A storefront with a banner."


def test_undecodable_image_leaves_text_claims_unverified(ocr):
    scores, evidence = score(ocr, decode_evidence(b"not an image", None), "A sign reading 'OPEN'.")
    assert scores == {"OPEN": None}
    assert evidence.image is None and "decode failed" in evidence.image_error


@pytest.mark.parametrize(
    ("needle", "hay", "at_least", "below"),
    [("open", "grandopening", 1.0, None), ("opem", "grandopening", 0.7, 1.0), ("closed", "grandopening", None, 0.6)],
)
def test_partial_ratio(needle, hay, at_least, below):
    r = partial_ratio(needle, hay)
    assert at_least is None or r >= at_least
    assert below is None or r < below
    assert text_support("", ["x"]) == 0.0
