"""Text safety filters: PII (redact/reject), toxicity (alt-profanity-check), language (fastText)."""

import pyarrow as pa
import pytest

from engine import columns as C
from filters.safety.language import LanguageId
from filters.safety.pii import Pii
from filters.safety.pii_patterns import find, iban_ok, luhn_ok
from filters.safety.toxicity import Toxicity


def _kinds(text):
    return [kind for _, _, kind in find(text)]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("write to jane.doe+news@mail.example.org today", ["email"]),
        ("call +44 20 7946 0958 or (555) 123-4567", ["phone", "phone"]),
        ("card 4111 1111 1111 1111 and 5500-0000-0000-0004", ["card", "card"]),
        ("fails Luhn: 4111 1111 1111 1112", []),
        ("pay to DE89 3704 0044 0532 0130 00 or GB82WEST12345698765432", ["iban", "iban"]),
        ("bad check digits DE00 3704 0044 0532 0130 00", []),
        ("hosts 203.0.113.9, 2001:db8:85a3::8a2e:370:7334 but not 999.1.2.3", ["ip", "ip"]),
        ("a red bike, 1999, 42 km, 3.14159, 12:30:45, 2019-05-12, EUR 1234567", []),
    ],
)
def test_pii_patterns(text, kinds):
    assert _kinds(text) == kinds


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB83 WEST 1234 5698 7654 32")


def test_pii_redacts_captions_and_document_texts_and_counts():
    batch = pa.table({"caption": ["mail bob@example.com from 10.0.0.1", "a cat on a mat", None]})
    out = Pii()(batch)
    assert out.column("caption").to_pylist() == ["mail [EMAIL] from [IP]", "a cat on a mat", None]
    counts = out.column("pii_counts").to_pylist()
    assert counts[0]["email"] == 1 and counts[0]["ip"] == 1 and sum(counts[1].values()) == 0
    assert out.column(C.REJECT_REASON).null_count == 3

    docs = pa.table({"texts": pa.array([[None, "call +1 415 555 0132", "hi"]], pa.list_(pa.string()))})
    out = Pii(column="texts")(docs)
    assert out.column("texts").to_pylist() == [[None, "call [PHONE]", "hi"]]


def test_pii_reject_mode_keeps_text_and_records_kinds():
    batch = pa.table({"caption": ["card 4111-1111-1111-1111", "nothing here"]})
    out = Pii(mode="reject")(batch)
    assert out.column(C.REJECT_REASON).to_pylist() == ["pii", None]
    assert out.column(C.REJECT_DETAIL).to_pylist() == ["card=1", None]
    assert out.column("caption").to_pylist() == batch.column("caption").to_pylist()


def test_toxicity_scores_profanity_high_and_plain_text_low():
    batch = pa.table({"caption": ["a golden retriever on a beach", "fuck you, you stupid shit", None]})
    out = Toxicity(threshold=0.8)(batch)
    scores = out.column("toxicity").to_pylist()
    assert scores[0] < 0.3 and scores[1] > 0.8 and scores[2] == 0.0
    assert out.column(C.REJECT_REASON).to_pylist() == [None, "toxic_text", None]
    clean = "The council opened the new library by the river this morning, and many families visited. " * 4
    docs = pa.table({"texts": pa.array([["what the fuck is this shit", None, "you stupid fucking idiot"],
                                        [clean, None, "fuck this", clean]], pa.list_(pa.string()))})
    scores = Toxicity(column="texts")(docs).column("toxicity").to_pylist()
    assert scores[0] > 0.8, "a document that is mostly abuse"
    assert scores[1] < 0.3, "one bad line in a long clean page does not condemn the page"


def test_language_identifies_and_filters_captions():
    batch = pa.table(
        {
            "caption": [
                "a photograph of a small house by the lake",
                "une photo d'une petite maison au bord du lac",
                "ein Foto von einem kleinen Haus am See",
                "",
            ]
        }
    )
    out = LanguageId(allowed=["en", "de"])(batch)
    assert out.column("language").to_pylist() == ["en", "fr", "de", None]
    assert all(s > 0.5 for s in out.column("language_score").to_pylist()[:3])
    assert out.column(C.REJECT_REASON).to_pylist() == [None, "language_not_allowed", None, "language_not_allowed"]
    assert LanguageId()(batch).column(C.REJECT_REASON).null_count == 4
