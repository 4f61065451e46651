"""The decision logic with a verifier that returns set scores: verdicts, rates, actions."""

import pytest

from recaption.crosscheck.checker import CrossChecker
from recaption.crosscheck.claims import extract_claims
from recaption.crosscheck.decide import Policy, claim_verdict
from recaption.crosscheck.repair import is_tidy
from recaption.crosscheck.verifiers.alttext import AltTextAgreement
from recaption.crosscheck.verifiers.base import Check, Evidence, Verifier


class SetScores(Verifier):
    """Scores claims from a table keyed by phrase (object name or quoted text); others get 0.9."""

    name = "set"
    kinds = frozenset({"object", "attribute", "count", "text"})
    default_thresholds = {"object": 0.5, "attribute": 0.5, "count": 0.5, "text": 0.5}

    def __init__(self, table, default=0.9, **kw):
        super().__init__(**kw)
        self.table, self.default, self.calls = table, default, []

    def score(self, evidence, claims):
        self.calls.append([c.phrase for cs in claims for c in cs])
        return [[self.table.get(c.phrase.lower(), self.default) for c in cs] for cs in claims]


def check(captions, table, policy=None, alt=None, verifiers=None):
    verifier = SetScores(table)
    checker = CrossChecker(verifiers or [verifier], policy or Policy())
    evidence = [Evidence(image="img", alt_text=alt) for _ in captions]
    return checker.check(evidence, captions), verifier


def test_a_fully_supported_caption_is_kept():
    [result], _ = check([[("long", "A dog on a couch.")]], {})
    assert result.action == "keep" and result.caption == "A dog on a couch." and result.rate == 0.0
    assert [v.verdict for v in result.variants[0].verdicts] == ["supported", "supported"]


def test_rate_is_unsupported_over_claims_and_repair_rechecks():
    [result], verifier = check([[("long", "A dog next to a cat on a couch.")]], {"cat": 0.1})
    variant = result.variants[0]
    assert variant.rate == pytest.approx(1 / 3)
    assert result.action == "repair"
    assert result.caption == "A dog on a couch." and is_tidy(result.caption)
    assert variant.rate_after == 0.0 and variant.rounds == 1
    assert [v.claim.phrase for v in variant.verdicts_after] == ["dog", "couch"]
    # The re-check reuses cached scores: the second call scores nothing new, so it never happens.
    assert verifier.calls == [["dog", "cat", "couch"]]


def test_wrong_attribute_and_count_are_cut_not_the_object():
    [result], _ = check([[("long", "Three red cars parked on a street.")]], {"three cars": 0.2, "red cars": 0.1})
    assert result.action == "repair"
    assert result.caption == "Cars parked on a street."


def test_mostly_hallucinated_variant_falls_back_to_the_next():
    captions = [[("long", "A cat and an elephant on a horse."), ("short", "A dog on a couch.")]]
    [result], _ = check(captions, {"cat": 0.0, "elephant": 0.0, "horse": 0.0})
    assert result.variants[0].outcome == "fail" and result.variants[0].rate == 1.0
    assert result.action == "fallback" and result.chosen == "short"
    assert result.caption == "A dog on a couch."


def test_every_variant_failing_rejects_the_record():
    captions = [[("long", "A cat on a horse."), ("short", "An elephant.")]]
    [result], _ = check(captions, {"cat": 0.0, "horse": 0.0, "elephant": 0.0})
    assert result.action == "reject" and result.caption is None and result.chosen is None


def test_a_repair_too_short_fails():
    [result], _ = check([[("long", "A cat. A dog.")]], {"cat": 0.0}, Policy(min_words=3))
    assert result.variants[0].repaired == "A dog." and result.variants[0].outcome == "fail"
    assert result.action == "reject"


def test_keep_max_tolerates_some_hallucination():
    captions = [[("long", "A dog, a cat, a couch and a bed.")]]
    [result], _ = check(captions, {"cat": 0.0}, Policy(keep_max=0.3, repair_max=0.5))
    assert result.action == "keep" and result.variants[0].rate == 0.25


def test_no_caption_is_recorded_not_dropped():
    [result], _ = check([[("long", None), ("short", "  ")]], {})
    assert result.action == "no_caption" and result.variants == []


def test_fallback_to_alt_text_checks_it_without_alt_text_agreement():
    alt = AltTextAgreement()
    captions = [[("long", "An elephant and a horse.")]]
    [result], _ = check(captions, {"elephant": 0.0, "horse": 0.0}, Policy(fallback_to_alt_text=True),
                        alt="A dog on a couch.", verifiers=[SetScores({"elephant": 0.0, "horse": 0.0}), alt])
    assert result.action == "fallback" and result.chosen == "original" and result.caption == "A dog on a couch."
    checked_by = {c.verifier for v in result.variants[-1].verdicts for c in v.checks}
    assert checked_by == {"set"}


def test_unverified_claims_do_not_count_unless_asked():
    claim = extract_claims("A dog.")[0]
    assert claim_verdict(claim, [None]).verdict == "unverified"
    assert claim_verdict(claim, [None], unverified_is_unsupported=True).verdict == "unsupported"


def test_weighted_vote_combines_verifiers():
    claim = extract_claims("A dog.")[0]
    weak_yes, strong_no = Check("clip", 0.9, 0.5, 1.0), Check("ocr", 0.1, 0.8, 3.0)
    verdict = claim_verdict(claim, [weak_yes, strong_no])
    assert verdict.verdict == "unsupported" and verdict.support == pytest.approx(-0.5)
    assert claim_verdict(claim, [weak_yes, Check("detector", 0.05, 0.1, 1.0)]).verdict == "supported"  # tie


def test_negated_objects_are_absent_and_excluded_from_the_rate():
    [result], verifier = check([[("long", "A street with no cars and a dog.")]], {"cars": 0.0})
    assert [v.verdict for v in result.variants[0].verdicts] == ["supported", "absent", "supported"]
    assert result.action == "keep" and "cars" not in verifier.calls[0]


@pytest.mark.parametrize(
    ("caption", "alt", "expected"),
    [
        ("Two dogs on a couch.", "three dogs sleeping", {"two dogs": 0.0, "dogs": 1.0}),
        ("Two dogs on a couch.", "a pair of dogs", {"two dogs": 1.0}),
        ("A red car.", "a blue car parked", {"red car": 0.0, "car": 1.0}),
        ("A red car.", "a red and white car", {"red car": 1.0}),
        ("A large dog.", "a big dog", {"large dog": 1.0}),
        ("A large dog.", "a tall dog", {"large dog": None}),  # different, not opposite
        ("A dog in a room.", "no dogs allowed", {"dog": 0.0}),
        ("A cat.", "photo of my garden", {"cat": None}),
        ("A sign reading 'OPEN'.", "Open sign at the bakery", {"OPEN": 1.0}),
    ],
)
def test_alt_text_corroborates_and_contradicts(caption, alt, expected):
    claims = extract_claims(caption)
    [scores] = AltTextAgreement().score([Evidence(None, alt)], [claims])
    got = {c.phrase: s for c, s in zip(claims, scores, strict=True)}
    for phrase, score in expected.items():
        assert got[phrase] == score, phrase


def test_alt_text_contradiction_is_flagged_on_the_verdict():
    checker = CrossChecker([SetScores({}), AltTextAgreement()])
    [result] = checker.check([Evidence("img", "three dogs")], [[("long", "Two dogs on a grassy field.")]])
    count = next(v for v in result.variants[0].verdicts if v.claim.kind == "count")
    assert count.verdict == "unsupported" and count.contradicted_by_alt_text
    assert count.to_json()["contradicted_by_alt_text"] is True
    assert result.action == "repair" and result.caption == "Dogs on a grassy field."


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError):
        Policy(keep_max=0.6, repair_max=0.5)
