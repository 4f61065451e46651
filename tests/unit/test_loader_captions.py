"""Caption policies: alt-text, a synthetic variant, or a seeded mixture with probability p."""

import collections
import math

import pytest

from engine.output.loader import training_dataset
from engine.output.loader_policy import CaptionPolicy, ScoreFilter, unit_random
from tests.unit.output_fixture import write_output


def _meta(i: int) -> dict:
    return {"caption": f"alt {i}", "caption_dense": f"dense {i}", "caption_short": f"short {i}",
            "caption_dense_status": "ok", "caption_dense_meta": "{}"}


@pytest.mark.parametrize("p", [0.0, 0.3, 0.8, 1.0])
def test_mixture_proportion_holds(p):
    n = 5000
    policy = CaptionPolicy("mix", ("dense",), p=p, seed=11)
    picks = collections.Counter(policy.choose(f"k{i}", _meta(i), f"alt {i}")[1] for i in range(n))
    share = picks["dense"] / n
    bound = 5 * math.sqrt(p * (1 - p) / n)  # five standard deviations of a binomial share
    assert abs(share - p) <= bound
    assert set(picks) <= {"dense", "alt"}


def test_choice_is_fixed_per_key_and_epoch_but_changes_across_epochs():
    policy = CaptionPolicy("mix", ("dense",), p=0.5, seed=2)
    first = [policy.choose(f"k{i}", _meta(i), "a", epoch=0)[1] for i in range(200)]
    assert first == [policy.choose(f"k{i}", _meta(i), "a", epoch=0)[1] for i in range(200)]
    other = [policy.choose(f"k{i}", _meta(i), "a", epoch=1)[1] for i in range(200)]
    assert other != first
    other_seed = CaptionPolicy("mix", ("dense",), p=0.5, seed=3)
    assert [other_seed.choose(f"k{i}", _meta(i), "a")[1] for i in range(200)] != first


def test_variants_are_drawn_uniformly_and_missing_ones_fall_back():
    policy = CaptionPolicy("synthetic", seed=5)
    picks = collections.Counter(policy.choose(f"k{i}", _meta(i), "a")[1] for i in range(4000))
    assert set(picks) == {"dense", "short"}
    assert abs(picks["dense"] / 4000 - 0.5) <= 5 * math.sqrt(0.25 / 4000)
    assert policy.choose("k", {"caption_dense": None}, "alt text") == ("alt text", "alt")
    strict = CaptionPolicy("synthetic", ("dense",), fallback=False)
    assert strict.choose("k", {"caption_dense": "  "}, "alt text") is None
    assert CaptionPolicy("alt").choose("k", _meta(1), "") == ("dense 1", "dense")
    refused = {"caption_dense": "text kept for audit", "caption_dense_status": "refusal"}
    assert strict.choose("k", refused, "alt") is None
    checked = CaptionPolicy("synthetic", ("crosscheck",))
    assert checked.choose("k", {"crosscheck_caption": "repaired"}, "a") == ("repaired",
                                                                           "crosscheck")


def test_policy_strings_and_filters_parse():
    assert CaptionPolicy.parse("mix:dense:0.8") == CaptionPolicy("mix", ("dense",), 0.8)
    assert CaptionPolicy.parse("mix:0.6").p == 0.6
    assert CaptionPolicy.parse("synthetic:dense,short").variants == ("dense", "short")
    with pytest.raises(ValueError):
        CaptionPolicy.parse("sometimes")
    with pytest.raises(ValueError):
        CaptionPolicy("mix", p=1.5)
    f = ScoreFilter.parse("hallucination_rate <= 0.2")
    assert (f.column, f.op, f.value) == ("hallucination_rate", "<=", 0.2)
    assert f({"hallucination_rate": 0.2}) and not f({"hallucination_rate": 0.3})
    assert not f({}) and ScoreFilter("x", ">", 1, keep_missing=True)({})
    assert 0 <= unit_random(1, 2, "k") < 1


def test_loader_mixture_matches_policy_whatever_the_workers(tmp_path):
    from torch.utils.data import DataLoader

    from engine.output.loader import collate

    out = write_output(tmp_path / "run", kept=200, shards=4)
    ds = training_dataset(out, caption="mix:dense:0.8", seed=4, decode=None)
    one = {s["key"]: s["caption_source"] for s in ds}
    two = {}
    for batch in DataLoader(ds, batch_size=32, num_workers=2, collate_fn=collate):
        two.update(zip(batch["key"], batch["caption_source"], strict=True))
    assert one == two
    # One record in ten has no synthetic caption and always falls back to its alt-text.
    with_synthetic = [s for s in ds if s["meta"].get("caption_dense")]
    share = sum(s["caption_source"] == "dense" for s in with_synthetic) / len(with_synthetic)
    assert abs(share - 0.8) <= 5 * math.sqrt(0.16 / len(with_synthetic))
    for s in ds:
        expected = s["meta"]["caption_dense"] if s["caption_source"] == "dense" else \
            s["meta"]["caption"]
        assert s["caption"] == expected
