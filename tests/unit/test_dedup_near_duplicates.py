"""NearDuplicates: planted caption near-duplicates against exact Jaccard, image near-duplicates
among resized, re-encoded and cropped copies of real photos, and one graph across signals."""

import io
import random
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from PIL import Image

from filters.dedup.minhash import exact_jaccard, word_shingles
from filters.dedup.near_duplicates import NearDupConfig, NearDuplicates, _payload_matrix
from filters.dedup.phash import phash_bytes
from filters.dedup.signals import hamming
from tests.conftest import corpus

pytestmark = pytest.mark.filterwarnings("ignore:Image appears to be a malformed MPO")

PHOTOS = [
    "hopper.jpg",
    "flower.jpg",
    "flower2.jpg",
    "sugarshack_bad_mpo_header.jpg",
    "iptc.jpg",
    "junk_jpeg_header.jpg",
    "exif_gps_typeerror.jpg",
    "exif-72dpi-int.jpg",
]


def run_global(stage, batches: list[pa.Table]) -> pa.Table:
    """The global step in one process: signatures of every batch (unit), decide per bucket,
    combine. The runner does the same with Ray tasks."""
    sigs = pa.concat_tables([stage.signature(b) for b in batches])
    outs = [stage.decide(sigs.filter(pc.equal(sigs["bucket"], k))) for k in range(stage.bucket_count)]
    return stage.combine(outs)


def _table(keys, seq, **columns) -> pa.Table:
    return pa.table({"key": keys, "_seq": pa.array(seq, pa.int64()), **columns})


def _planted(n=400, seed=5):
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(5000)]
    docs = [" ".join(rng.choices(vocab, k=rng.randint(40, 80))) for _ in range(n)]
    planted = []
    for _ in range(120):
        src = rng.randrange(n)
        words = docs[src].split()
        for _ in range(rng.choice([0, 1, 2, 4, 8, 16])):
            words[rng.randrange(len(words))] = rng.choice(vocab)
        planted.append((src, len(docs)))
        docs.append(" ".join(words))
    return docs, planted


def test_planted_caption_duplicates_match_exact_jaccard_across_units():
    docs, planted = _planted()
    keys = [f"{i:024x}" for i in range(len(docs))]
    half = len(docs) // 2  # two units: planted copies land in the other unit too
    batches = [
        _table(keys[:half], range(half), caption=docs[:half]),
        _table(keys[half:], range(half, len(docs)), caption=docs[half:]),
    ]
    result = run_global(NearDuplicates(text_column="caption", image=False, config=NearDupConfig(buckets=8)), batches)
    index = {k: i for i, k in enumerate(keys)}
    rejected = result.filter(pc.is_valid(result["reason"]))
    flagged = {index[k] for k in rejected["key"].to_pylist()}
    jac = {p: exact_jaccard(word_shingles(docs[p[0]]), word_shingles(docs[p[1]])) for p in planted}
    sure = {b for (a, b), j in jac.items() if j >= 0.9 and a < b}
    never = {b for (a, b), j in jac.items() if j < 0.6}
    assert sure and never
    assert sure <= flagged  # clear duplicates are always found
    assert not (never & flagged)  # clearly different copies are never merged
    for key, dup_of in zip(rejected["key"].to_pylist(), rejected["dup_of"].to_pylist(), strict=True):
        a, b = index[dup_of], index[key]
        assert a < b  # keep policy "first": the keeper is earlier in input order
        assert exact_jaccard(word_shingles(docs[a]), word_shingles(docs[b])) >= 0.7
    assert set(result["dup_cluster"].to_pylist()) >= set(rejected["dup_of"].to_pylist())


def test_decisions_do_not_depend_on_the_number_of_buckets():
    docs, _ = _planted()
    keys = [f"{i:024x}" for i in range(len(docs))]
    batch = _table(keys, range(len(docs)), caption=docs)
    few = NearDuplicates(text_column="caption", image=False, config=NearDupConfig(buckets=4))
    many = NearDuplicates(text_column="caption", image=False, config=NearDupConfig(buckets=4, records_per_bucket=10))
    assert few.plan_buckets(len(docs)) == 4  # records_per_bucket is off by default on a stage
    assert many.plan_buckets(len(docs)) == 52 and many.bucket_count == 52
    a, b = run_global(few, [batch]), run_global(many, [batch])
    assert a.num_rows > 50  # clusters' keepers and their duplicates
    assert a.sort_by("key").to_pylist() == b.sort_by("key").to_pylist()


def test_bucket_count_grows_with_the_run_only_where_asked():
    stage = NearDuplicates()  # 16 buckets at least, one per 5,000 records
    assert stage.bucket_count == 16  # before planning
    assert stage.plan_buckets(20_000) == 16 and stage.plan_buckets(200_000) == 40
    assert "_bucket_count" not in stage.config() and stage.config()["buckets"] == 16


def test_payload_matrix_reads_arrow_buffers_at_any_offset():
    rows = np.arange(40, dtype=np.uint8).reshape(10, 4)
    column = pa.array([bytes(r) for r in rows], pa.binary())
    sliced = pa.chunked_array([column.slice(3, 4), column.slice(7, 2)])
    assert np.array_equal(_payload_matrix(sliced), rows[[3, 4, 5, 6, 7, 8]])
    assert _payload_matrix(pa.chunked_array([pa.array([b"", b""])])).shape == (2, 0)
    with pytest.raises(ValueError, match="one width"):
        _payload_matrix(pa.chunked_array([pa.array([b"ab", b"abc"])]))


def test_keep_longest_and_score_policies():
    base = " ".join(f"w{i}" for i in range(50))
    texts = [base, base + " extra words here", base]
    keys = [f"{i:024x}" for i in range(3)]
    batch = _table(keys, range(3), caption=texts, clip=[0.2, 0.1, 0.9])
    longest = run_global(NearDuplicates(image=False, config=NearDupConfig(keep="longest", threshold=0.7)), [batch])
    kept = longest.filter(pc.is_null(longest["reason"]))["key"].to_pylist()
    assert kept == [keys[1]]
    scored = run_global(NearDuplicates(image=False, score_column="clip",
                                       config=NearDupConfig(keep="score", threshold=0.7)), [batch])
    assert scored.filter(pc.is_null(scored["reason"]))["key"].to_pylist() == [keys[2]]


def _variants(path) -> dict[str, bytes]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        image = Image.open(path).convert("RGB")
    w, h = image.size

    def enc(im, fmt="JPEG", **kw):
        buf = io.BytesIO()
        im.save(buf, fmt, **kw)
        return buf.getvalue()

    return {
        "original": path.read_bytes(),
        "resized": enc(image.resize((w // 2, h // 2))),
        "reencoded": enc(image, quality=30),
        "webp": enc(image, "WEBP", quality=50),
        "cropped": enc(image.crop((w * 3 // 100, h * 3 // 100, w * 97 // 100, h * 97 // 100))),
    }


def test_phash_is_near_for_copies_and_far_for_other_photos():
    root = corpus("pillow-images")
    hashes = {p: {k: phash_bytes(v) for k, v in _variants(root / p).items()} for p in PHOTOS}
    for variants in hashes.values():
        orig = np.array([variants["original"]], np.uint64)
        for name in ("resized", "reencoded", "webp"):
            assert hamming(orig, np.array([variants[name]], np.uint64))[0] <= 4
        assert hamming(orig, np.array([variants["cropped"]], np.uint64))[0] <= 14
    originals = np.array([v["original"] for v in hashes.values()], np.uint64)
    a, b = np.triu_indices(len(originals), 1)
    assert hamming(originals[a], originals[b]).min() >= 20
    assert phash_bytes(b"not an image") is None and phash_bytes(None) is None


def test_image_near_duplicates_form_one_cluster_per_photo():
    root = corpus("pillow-images")
    images, owner = [], []
    for p in PHOTOS:
        for data in _variants(root / p).values():
            images.append(data)
            owner.append(p)
    images.append(b"\x89PNG broken")  # undecodable: no image signal, never a duplicate
    owner.append("broken")
    order = list(range(len(images)))
    random.Random(1).shuffle(order)
    keys = [f"{i:024x}" for i in range(len(images))]
    batch = _table([keys[i] for i in order], range(len(order)), image=pa.array([images[i] for i in order], pa.binary()))
    stage = NearDuplicates(text_column=None, image=True, config=NearDupConfig(image_max_bits=14, buckets=4))
    result = run_global(stage, [batch.slice(0, 20), batch.slice(20)])
    cluster_of = dict(zip(result["key"].to_pylist(), result["dup_cluster"].to_pylist(), strict=True))
    for p in PHOTOS:
        mine = {cluster_of.get(keys[i]) for i in range(len(images)) if owner[i] == p}
        assert len(mine) == 1 and None not in mine, p  # every copy in one cluster
    assert len(set(cluster_of.values())) == len(PHOTOS)  # photos never merged
    assert keys[-1] not in cluster_of


def test_one_graph_across_caption_and_image():
    """a~b by caption only, b~c by image only: one cluster {a, b, c} with one keeper."""
    root = corpus("pillow-images")
    hopper, flower, other = (
        (root / "hopper.jpg").read_bytes(),
        (root / "flower.jpg").read_bytes(),
        (root / "iptc.jpg").read_bytes(),
    )
    text = " ".join(f"word{i}" for i in range(40))
    keys = [f"{i:024x}" for i in range(4)]
    batch = _table(
        keys,
        range(4),
        caption=[text, text + " more", "totally different caption", "another unrelated one"],
        image=pa.array([hopper, flower, flower, other], pa.binary()),
    )
    result = run_global(NearDuplicates(text_column="caption", image=True, config=NearDupConfig(threshold=0.8)), [batch])
    rows = {
        k: (r, d, c)
        for k, r, d, c in zip(*(result[c].to_pylist() for c in ("key", "reason", "dup_of", "dup_cluster")), strict=True)
    }
    assert set(rows) == set(keys[:3])
    assert rows[keys[0]][0] is None and rows[keys[0]][2] == keys[0]
    assert rows[keys[1]][1] == keys[0] and rows[keys[2]][1] == keys[0]
    assert "image+text" in result.filter(pc.is_valid(result["reason"]))["detail"][0].as_py()


def test_embedding_and_url_set_signals():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((3, 32)).astype(np.float32)
    vectors = np.vstack([base, base[0] + 0.01 * rng.standard_normal(32)]).tolist()
    keys = [f"{i:024x}" for i in range(4)]
    batch = _table(keys, range(4), emb=vectors, urls=[["u1", "u2"], ["u2", "u1"], [], None])
    stage = NearDuplicates(text_column=None, image=False, embedding_column="emb", image_urls_column="urls")
    result = run_global(stage, [batch])
    dup_of = dict(zip(result["key"].to_pylist(), result["dup_of"].to_pylist(), strict=True))
    assert dup_of == {keys[0]: None, keys[1]: keys[0], keys[3]: keys[0]}


def test_empty_input_and_no_duplicates():
    stage = NearDuplicates(image=False)
    batch = _table(["a" * 24, "b" * 24], [0, 1], caption=["one two three", None])
    result = run_global(stage, [batch])
    assert result.num_rows == 0 and "reason" in result.column_names
    with pytest.raises(ValueError, match="score_column"):
        NearDuplicates(config=NearDupConfig(keep="score"))


def test_image_band_groups_above_the_limit_are_stars_and_say_so(caplog):
    import logging

    from filters.dedup.signals import ImageSignal, verified_pairs

    signal = ImageSignal(max_bits=6)
    rng = np.random.default_rng(3)
    # 40 hashes that agree on the first band (chance collisions), plus a true pair outside it
    hashes = (rng.integers(0, 2**63, 40, dtype=np.uint64) & ~np.uint64(0x1FF)) | np.uint64(0x155)
    hashes = np.r_[hashes, np.uint64(0xF0F0F0F0F0F0F0F0), np.uint64(0xF0F0F0F0F0F0F0F1)]
    rows = signal.band_rows_from_hashes(hashes, np.ones(len(hashes), bool))
    with caplog.at_level(logging.WARNING, logger="filters.dedup.signals"):
        pairs, distance = verified_pairs(signal, rows.band, rows.band_hash, rows.row, rows.payload, max_group=8)
    assert "checked as stars only" in caplog.text
    assert [40, 41] in pairs.tolist() and distance.max() <= 6
    assert ImageSignal().max_bits == 4  # the default keeps band groups small (12-13 bit bands)
