"""CLIP grounding and the OWLv2 detector verifier with tiny random models (scores are meaningless,
so the tests check the arithmetic, the caching and the honesty about weights)."""

import pytest
from PIL import Image

from engine.models import MissingWeights, model_for
from recaption.crosscheck.claims import extract_claims
from recaption.crosscheck.models import OWL_BASE
from recaption.crosscheck.prompts import claim_prompts
from recaption.crosscheck.verifiers.base import Evidence
from recaption.crosscheck.vocab import load_vocabulary

torch = pytest.importorskip("torch")
pytest.importorskip("open_clip")


@pytest.fixture(scope="module")
def clip():
    from recaption.crosscheck.verifiers.clip import ClipGrounding

    verifier = ClipGrounding(model_set="test-tiny", device="cpu")
    verifier.setup()
    return verifier


@pytest.fixture(scope="module")
def detector():
    pytest.importorskip("transformers")
    from recaption.crosscheck.verifiers.detector import OwlDetector

    verifier = OwlDetector(model_set="test-tiny", device="cpu", box_threshold=0.0)
    verifier.setup()
    return verifier


def picture(colour="red"):
    image = Image.new("RGB", (96, 64), colour)
    image.paste((20, 40, 200), (10, 10, 50, 40))
    return image


def test_tiny_models_are_labelled_random(clip, detector):
    assert clip.models()[0]["random_init"] is True and detector.models()[0]["random_init"] is True
    assert clip.spec == model_for("test-tiny", "clip")


def test_clip_score_is_the_softmax_of_claim_against_contrasts(clip):
    evidence = Evidence(picture())
    claims = extract_claims("Two red dogs on a couch.")
    [scores] = clip.score([evidence], [claims])
    model, tokenizer = clip._clip.model, clip._clip.tokenizer
    image = torch.nn.functional.normalize(
        model.encode_image(clip._clip.preprocess(evidence.image).unsqueeze(0)).float(), dim=-1
    )[0]
    for claim, score in zip(claims, scores, strict=True):
        main, rest = claim_prompts(claim, load_vocabulary())
        with torch.inference_mode():
            texts = torch.nn.functional.normalize(model.encode_text(tokenizer([main, *rest])).float(), dim=-1)
        expected = torch.softmax(100.0 * texts @ image, dim=0)[0].item()
        assert score == pytest.approx(expected, abs=1e-5)
        assert 0.0 <= score <= 1.0


def test_a_contrast_equal_to_the_claim_gives_one_half(clip):
    from recaption.crosscheck.verifiers.clip import ClipGrounding

    same = ClipGrounding(model_set="test-tiny", loaded=clip._clip, object_contrasts=("a photo of a dog.",))
    [[score]] = same.score([Evidence(picture())], [extract_claims("A dog.")])
    assert score == pytest.approx(0.5)


def test_contrast_prompts_per_kind():
    vocab = load_vocabulary()
    red, count = [c for c in extract_claims("Two red cars.") if c.kind in ("attribute", "count")][::-1]
    main, rest = claim_prompts(red, vocab)
    assert main == "a photo of red cars." and "a photo of blue cars." in rest and len(rest) == 10
    main, rest = claim_prompts(count, vocab)
    assert main == "a photo of two cars." and "a photo of one car." in rest and "a photo of many cars." in rest
    [wooden] = [c for c in extract_claims("A wooden table.") if c.kind == "attribute"]
    main, rest = claim_prompts(wooden, vocab)
    assert main == "a photo of a wooden table." and "a photo of a metal table." in rest


def test_image_embedding_is_computed_once_per_record(clip, monkeypatch):
    evidence = Evidence(picture("green"))
    clip.check([evidence], [extract_claims("A dog.")])
    assert "clip:image" in evidence.cache

    def boom(*a, **k):
        raise AssertionError("the image was embedded twice")

    monkeypatch.setattr(clip._clip.model, "encode_image", boom)
    [[check]] = clip.check([evidence], [extract_claims("A cat.")])
    assert 0.0 <= check.score <= 1.0


def test_clip_skips_text_claims_and_images_that_failed(clip):
    [checks] = clip.check([Evidence(picture())], [extract_claims("A sign reading 'OPEN'.")])
    assert checks[1] is None  # the text claim is OCR's
    [checks] = clip.check([Evidence(None, image_error="decode failed")], [extract_claims("A dog.")])
    assert checks == [None]


def test_detector_scores_objects_by_best_box_and_counts_by_boxes(detector):
    evidence = Evidence(picture())
    [[dog]] = detector.score([evidence], [[c for c in extract_claims("A dog.") if c.kind == "object"]])
    probs = evidence.cache["detector:boxes"]["dog"]
    assert probs and dog == pytest.approx(max(probs))
    n = len(probs)  # box_threshold 0: every box that survives NMS counts
    claims = [c for k in (n, n + 1, n + 3) for c in extract_claims(f"{k} dogs.") if c.kind == "count"]
    [scores] = detector.score([evidence], [claims])
    assert scores == [1.0, 0.5, 0.0]


def test_detector_queries_each_object_once_per_record(detector, monkeypatch):
    evidence = Evidence(picture("blue"))
    detector.check([evidence], [extract_claims("Two dogs and a cat.")])
    assert set(evidence.cache["detector:boxes"]) == {"dog", "cat"}
    monkeypatch.setattr(detector._det, "model", None)  # any further forward pass would fail
    [checks] = detector.check([evidence], [extract_claims("A dog near three cats.")])
    assert all(c is not None for c in checks)


def test_real_weights_missing_is_a_clear_error(tmp_path, monkeypatch):
    from recaption.crosscheck.verifiers.clip import ClipGrounding
    from recaption.crosscheck.verifiers.detector import OwlDetector

    monkeypatch.setenv("LOOMERY_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    with pytest.raises(MissingWeights, match="owlv2-base-patch16-ensemble"):
        OwlDetector(model=OWL_BASE.name, device="cpu").setup()
    with pytest.raises(MissingWeights, match="loomery models pull"):
        ClipGrounding(model_set="default", device="cpu").setup()
